"""Secrets that must be stored to be answered again, stored sealed (encrypted and signed).

A query code is the citizen's only key to the public status page. It is stored as a salted
hash for checking, but two places must be able to say it again: the answer kept for an
idempotent retry, and an acknowledgement e-mail waiting in the outbox. There it is sealed
under a key derived from ``settings.secret_key``, so a copy of the database (a backup, a
read-only replica, an SQL console) does not hand out query codes.

The construction uses the standard library only: HMAC-SHA256 as a pseudo-random function
in counter mode for the keystream and, over nonce and ciphertext, as the tag
(encrypt-then-MAC), with separate keys derived per purpose. A random 16-byte nonce per seal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_VERSION = "s1"
_NONCE_BYTES = 16
_TAG_BYTES = 16


class SealBroken(ValueError):
    """The sealed value was altered, or sealed under another key or for another purpose."""


def _key(secret_key: str | bytes, purpose: str, use: str) -> bytes:
    root = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(root, f"complaintdesk seal {purpose} {use}".encode(), hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    stream = b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )
    return stream[:length]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(secret_key: str | bytes, purpose: str, plaintext: str) -> str:
    """``s1.<nonce>.<ciphertext>.<tag>``, URL-safe base64, different on every call."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    data = plaintext.encode()
    stream = _keystream(_key(secret_key, purpose, "enc"), nonce, len(data))
    cipher = bytes(a ^ b for a, b in zip(data, stream, strict=True))
    tag = hmac.new(_key(secret_key, purpose, "mac"), nonce + cipher, hashlib.sha256).digest()
    return ".".join((_VERSION, _b64(nonce), _b64(cipher), _b64(tag[:_TAG_BYTES])))


def unseal(secret_key: str | bytes, purpose: str, sealed: str) -> str:
    """The plaintext of :func:`seal`; :class:`SealBroken` if anything about it is wrong."""
    try:
        version, nonce_text, cipher_text, tag_text = sealed.split(".")
        nonce, cipher, tag = _unb64(nonce_text), _unb64(cipher_text), _unb64(tag_text)
    except ValueError as exc:
        raise SealBroken("不是有效的密封值 / not a sealed value") from exc
    if version != _VERSION or len(nonce) != _NONCE_BYTES:
        raise SealBroken("不是有效的密封值 / not a sealed value")
    expected = hmac.new(_key(secret_key, purpose, "mac"), nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(expected[:_TAG_BYTES], tag):
        raise SealBroken("密封值已被改动或密钥不符 / sealed value altered or key mismatch")
    stream = _keystream(_key(secret_key, purpose, "enc"), nonce, len(cipher))
    try:
        return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()
    except UnicodeDecodeError as exc:  # pragma: no cover - the tag makes this unreachable
        raise SealBroken("密封值无法解码 / sealed value does not decode") from exc
