"""Writes of platform-wide state. Every service is atomic and audited."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from puhui.core.audit import set_actor
from puhui.core.models import ApiToken, BusinessDate
from puhui.core.tokens import token_hash, token_new


@transaction.atomic
def api_token_issue(*, user) -> tuple[str, ApiToken]:
    """Issue a bearer token for an authenticated user. Returns the raw token (shown once) and the row."""
    raw = token_new()
    with set_actor(user):
        token = ApiToken.objects.create(
            user=user,
            key_hash=token_hash(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + settings.PUHUI_TOKEN_TTL,
        )
    return raw, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor) -> None:
    with set_actor(actor):
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def business_date_set(*, business_date: datetime.date, actor=None) -> None:
    """Set the 营业日. End of day advances it; the demo sets its starting date."""
    with set_actor(actor):
        row, _created = BusinessDate.objects.select_for_update().get_or_create(
            pk=BusinessDate.SINGLETON_PK, defaults={"business_date": business_date}
        )
        if row.business_date != business_date:
            row.business_date = business_date
            row.save(update_fields=["business_date", "updated_at"])
