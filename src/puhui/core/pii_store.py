"""The platform's PII cipher, keyed from settings.PUHUI_PII_KEY."""

from functools import cache

from django.conf import settings

from puhui.core.pii import PiiCipher, key_from_text


@cache
def _cipher_for(key_text: str) -> PiiCipher:
    return PiiCipher(key_from_text(key_text))


def pii_cipher() -> PiiCipher:
    return _cipher_for(settings.PUHUI_PII_KEY)


def blind_index(value: str, *, purpose: str) -> str:
    return pii_cipher().blind_index(value, purpose=purpose)
