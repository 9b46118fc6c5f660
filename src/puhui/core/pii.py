"""Encryption of personal data at rest (JR/T 0171 C2): AES-256-GCM plus an HMAC blind index; no Django."""

import base64
import binascii
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FORMAT_PREFIX = "v1:"
ENC_INFO = b"puhui-pii-enc-v1"
INDEX_INFO = b"puhui-pii-index-v1"


class PiiDecryptError(Exception):
    """A token that is malformed, tampered with, or made under another key."""


class PiiCipher:
    """Encrypts, decrypts and blind-indexes personal data under one master key."""

    def __init__(self, key: bytes):
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise ValueError(f"The PII master key must be {KEY_BYTES} bytes.")
        self._aead = AESGCM(_subkey(key, ENC_INFO))
        self._index_key = _subkey(key, INDEX_INFO)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt text under a fresh random nonce; returns 'v1:' + urlsafe base64."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return FORMAT_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by encrypt(); PiiDecryptError if it is bad, tampered or under another key."""
        if not isinstance(token, str) or not token.startswith(FORMAT_PREFIX):
            raise PiiDecryptError("not a v1 PII token")
        try:
            raw = base64.urlsafe_b64decode(token[len(FORMAT_PREFIX) :].encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise PiiDecryptError("PII token is not valid base64") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise PiiDecryptError("PII token is too short")
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        except InvalidTag:
            raise PiiDecryptError("PII token failed authentication") from None
        return plain.decode("utf-8")

    def blind_index(self, plaintext: str, *, purpose: str) -> str:
        """A deterministic keyed hash (64 hex chars) for lookup and uniqueness, separated by purpose."""
        # A NUL in the purpose would let two (purpose, text) pairs hash the same message.
        if not purpose or "\x00" in purpose:
            raise ValueError("purpose must be non-empty and contain no NUL")
        message = (purpose + "\x00" + plaintext).encode("utf-8")
        return hmac.digest(self._index_key, message, "sha256").hex()  # one-shot C path, same value


def _subkey(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


def key_from_text(text: str) -> bytes:
    """Decode a master key written as urlsafe base64 of 32 bytes; ValueError otherwise."""
    cleaned = (text or "").strip()
    try:
        key = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The PII key must be urlsafe base64 text; it could not be decoded.") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"The PII key must decode to {KEY_BYTES} bytes, not {len(key)}.")
    return key


def key_new_text() -> str:
    """A new random master key as urlsafe base64 text."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")
