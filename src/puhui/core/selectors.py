"""Reads of platform-wide state."""

import datetime
import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from puhui.core.bulk import prepared_cursor
from puhui.core.models import ApiToken, BusinessDate
from puhui.org import roles


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
        with prepared_cursor() as cursor:
            cursor.execute(
                "SELECT business_date FROM core_businessdate WHERE id = %s FOR SHARE", [BusinessDate.SINGLETON_PK]
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    return business_date_current()


def api_token_user(raw_token: str):
    """The active user behind a bearer token, or None (unknown, expired, revoked, user inactive).

    Every API request comes through here, so one hand-written query fetches the token, its user and the user's
    roles: the ORM's two queries cost 1.2 ms of CPU to build, a tenth of a whole money request (bench money).
    The token comes back with only its id and user loaded; its other fields load if read."""
    from puhui.core.tokens import token_hash

    user_model = get_user_model()
    db = connections[DEFAULT_DB_ALIAS]
    params = [token_hash(raw_token), db.ops.adapt_datetimefield_value(timezone.now())]
    if db.vendor == "postgresql":  # a prepared statement; PostgreSQL answers in the fields' own types
        with prepared_cursor() as cursor:
            cursor.execute(_token_user_sql(), params)
            rows = cursor.fetchall()
        fields = [f.attname for f in user_model._meta.concrete_fields]
        users = [user_model.from_db(DEFAULT_DB_ALIAS, fields, row[: len(fields)]) for row in rows[:1]]
        user_rows = [(row[-2], row[-1]) for row in rows]
    else:  # SQLite answers text for dates: raw() converts the columns as the fields would
        users = list(user_model.objects.raw(_token_user_sql(), params))
        user_rows = [(u.token_id, u.role_name) for u in users]
    if not users or not users[0].is_active:
        return None
    user = users[0]  # one row per group of the user
    # role_codes is a cached_property: filled from this query instead of a query of its own
    user.__dict__["role_codes"] = frozenset(name for _, name in user_rows if name in roles.ALL_ROLES)
    token_id = user_rows[0][0]
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, ["id", "user_id"], [token_id, user.pk])
    token.user = user
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


@functools.cache
def _token_user_sql() -> str:
    """The user's columns, the token's id and the names of the user's groups, for a live token's hash."""
    user_model = get_user_model()
    memberships = user_model.groups.through
    q = connection.ops.quote_name
    columns = ", ".join(f"u.{q(f.column)}" for f in user_model._meta.concrete_fields)
    # Identifiers come from model metadata; the hash and the time are bound parameters.
    return (
        f"SELECT {columns}, t.{q('id')} AS token_id, g.{q('name')} AS role_name"  # noqa: S608
        f" FROM {q(ApiToken._meta.db_table)} t"
        f" JOIN {q(user_model._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
        f" LEFT JOIN {q(memberships._meta.db_table)} m ON m.{q('user_id')} = u.{q('id')}"
        f" LEFT JOIN {q(Group._meta.db_table)} g ON g.{q('id')} = m.{q('group_id')}"
        f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked_at')} IS NULL AND t.{q('expires_at')} > %s"
    )
