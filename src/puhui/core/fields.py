"""Model fields for personal data at rest: the attribute holds plain text, the column holds ciphertext."""

from django.db import models

from puhui.core.pii_store import pii_cipher


class EncryptedTextField(models.TextField):
    """AES-GCM encrypted text (DOMAIN §7). Not searchable: look values up through a blind-index column."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return pii_cipher().decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return pii_cipher().encrypt(value)
