"""Masking of personal data (SPEC §5): what a handling unit or a log line may show."""

from __future__ import annotations


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
