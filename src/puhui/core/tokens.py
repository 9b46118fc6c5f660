"""API bearer tokens: random, shown once, stored as a SHA-256 hash."""

import hashlib
import secrets


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()
