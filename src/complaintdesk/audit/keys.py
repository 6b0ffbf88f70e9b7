"""Where the audit key comes from: a key file, or derived from the secret key.

Both live outside the database, which is the point: a database writer without the key cannot
seal an entry. A configured key file that is missing, unreadable or too short stops the
process at start-up rather than silently falling back to the derived key.
"""

from __future__ import annotations

from pathlib import Path

from complaintdesk.audit.seal import MIN_KEY_BYTES, derive_key


class AuditKeyError(ValueError):
    """The configured audit key cannot be used."""


def load_key(key_file: Path | None, secret_key: str) -> bytes:
    """The key's bytes (surrounding whitespace stripped, so ``openssl rand -hex 32 > f``
    works), or the key derived from ``secret_key`` when no file is configured."""
    if key_file is None:
        return derive_key(secret_key)
    try:
        key = key_file.read_bytes().strip()
    except FileNotFoundError:
        raise AuditKeyError(
            f"审计密钥文件不存在：{key_file}（COMPLAINTDESK_AUDIT_KEY_FILE）"
            f" / the audit key file does not exist: {key_file} (COMPLAINTDESK_AUDIT_KEY_FILE)"
        ) from None
    except OSError as exc:
        raise AuditKeyError(
            f"无法读取审计密钥文件 {key_file}：{exc.strerror}"
            f" / cannot read the audit key file {key_file}: {exc.strerror}"
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(
            f"审计密钥文件 {key_file} 太短：{len(key)} 字节，至少 {MIN_KEY_BYTES} 字节"
            f"（例如 openssl rand -hex 32）/ the audit key file {key_file} is too short:"
            f" {len(key)} bytes, at least {MIN_KEY_BYTES} (e.g. openssl rand -hex 32)"
        )
    return key
