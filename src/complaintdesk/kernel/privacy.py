"""Masking of personal data (SPEC §5): what a handling unit or a log line may show."""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask_name(name: str | None) -> str | None:
    """王小明 → 王**; Ms. Wang → M*******; keeps the first character only."""
    if not name:
        return None
    name = name.strip()
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; short numbers keep their last two digits."""
    if not phone:
        return None
    digits = phone.strip()
    if len(digits) >= 10:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_id_number(id_number: str | None) -> str | None:
    """110101199003071234 → 110***********1234."""
    if not id_number:
        return None
    value = id_number.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# --- free text: what a handling unit, a supervisor's e-mail or the public may read ---------

REDACTED = "＊＊＊"
# Each pattern is anchored so that it cannot start or end inside a longer run of digits or
# letters: a tracking number (TS20261130-000123), a date (2026-11-30) or an amount stays.
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_DATE_OF_BIRTH = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Resident ID numbers (GB 11643): 18 characters, and the older 15-digit form (two-digit year).
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])[1-9]\d{{5}}(?:(?:18|19|20)\d{{2}}{_DATE_OF_BIRTH}\d{{3}}[0-9Xx]"
    rf"|\d{{2}}{_DATE_OF_BIRTH}\d{{3}})(?![0-9A-Za-z])"
)
# Mobiles, with or without +86/0086 and with spaces or dashes: 138-1234-5678, +86 138 1234 5678.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Landlines with their area code: 0591-87654321, (0591)8765432, （0591）87654321, 059187654321.
_LANDLINE = re.compile(
    r"(?<![\d-])(?:[(（](0\d{2,3})[)）]\s*|(0\d{2,3})[\s-]?)(\d{3,4})(\d{4})(?![\d-])"
)
# The house number of a street address (五四路12号, 湖东路8-2号) and a flat's building, unit
# and room (3栋2单元501, 12号楼3单元402室); the road or estate name itself is no secret.
_HOUSE_NUMBER = re.compile(r"(?<=[路街巷道弄里])\d+(?:[-之]\d+)?号(?:楼|院)?")
_FLAT = re.compile(
    r"(?<!\d)(?:\d+\s*(?:栋|幢|座|号楼)(?:\s*\d+\s*单元)?|\d+\s*单元)(?:\s*\d+\s*(?:室|号|房)?)?"
)


def _masked_mobile(match: re.Match[str]) -> str:
    return f"{match.group(1)}****{match.group(3)}"


def _masked_landline(match: re.Match[str]) -> str:
    area = match.group(1) or match.group(2)
    return f"{area}-****{match.group(4)}"


def mask_text(text: str | None, names: Iterable[str | None] = ()) -> str:
    """Free text as someone who may not know the complainant reads it (SPEC §5).

    The one masking of complainant-written text for handling units, supervision e-mails and
    unit-facing exports: e-mail addresses, ID numbers, mobiles and landlines, house numbers
    and flats, and every name in ``names`` (the complainant, their organisation, proxy and
    representatives, as the complaint record holds them) are masked.
    """
    if not text:
        return text or ""
    text = _EMAIL.sub(lambda m: mask_email(m.group()) or REDACTED, text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()) or REDACTED, text)
    text = _MOBILE.sub(_masked_mobile, text)
    text = _LANDLINE.sub(_masked_landline, text)
    text = _HOUSE_NUMBER.sub(REDACTED, text)
    text = _FLAT.sub(REDACTED, text)
    return redact_names(text, names)


def redact_names(text: str, names: Iterable[str | None]) -> str:
    """Each of ``names`` (two characters or more) blacked out, longest first."""
    wanted = {n.strip() for n in names if n and len(n.strip()) >= 2}
    for name in sorted(wanted, key=len, reverse=True):
        text = text.replace(name, REDACTED)
    return text
