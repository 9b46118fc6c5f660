"""Reads of platform-wide state."""

import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from puhui.core.models import ApiToken, BusinessDate


def business_date_current() -> datetime.date:
    """The current 营业日. The first read on an empty database starts it at today's date."""
    row = BusinessDate.objects.filter(pk=BusinessDate.SINGLETON_PK).first()
    if row is not None:
        return row.business_date
    try:
        with transaction.atomic():
            row = BusinessDate.objects.create(business_date=timezone.localdate())
    except IntegrityError:  # another request created it first
        row = BusinessDate.objects.get(pk=BusinessDate.SINGLETON_PK)
    return row.business_date


def business_date_for_posting() -> datetime.date:
    """The business date, held until the caller's transaction ends (FOR SHARE on PostgreSQL).

    Postings share the lock and end of day takes it exclusively, so a posting never straddles a day's close:
    it waits for end of day, or end of day waits for it. SQLite serialises writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT business_date FROM core_businessdate WHERE id = %s FOR SHARE", [BusinessDate.SINGLETON_PK]
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    return business_date_current()


def api_token_user(raw_token: str):
    """The active user behind a bearer token, or None (unknown, expired, revoked, user inactive)."""
    from puhui.core.tokens import token_hash

    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw_token), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def singleton_row(model):
    """The one row (pk SINGLETON_PK) of a rules model, created with its defaults on first read."""
    row = model.objects.filter(pk=model.SINGLETON_PK).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return model.objects.create(pk=model.SINGLETON_PK)
    except IntegrityError:  # made meanwhile by another request
        return model.objects.get(pk=model.SINGLETON_PK)
