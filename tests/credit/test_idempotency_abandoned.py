"""A key left in progress by a request whose process died (a killed server worker) is taken over by a retry
once older than the longest request; a request whose key was taken over meanwhile cannot complete."""

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from puhui.core.errors import ApiError
from puhui.core.idempotency import request_fingerprint, run_once
from puhui.core.models import IdempotencyKey
from puhui.credit.models import Journal, Loan
from puhui.credit.services import line_drawdown
from puhui.households.models import Person
from puhui.org import roles
from tests.core.test_api_auth import assert_error_shape
from tests.credit.test_credit_api import post
from tests.credit.test_money_services import assert_books_balanced, make_line

BODY = {"amount": "100.00", "channel": "mobile"}


@pytest.fixture
def farmer_line(world):
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    return line


def abandoned_key(world, line, key: str, age_seconds: int) -> IdempotencyKey:
    """What a request leaves when its worker is killed between recording its key and committing."""
    request = RequestFactory().post(f"/api/v1/credit-lines/{line.pk}/drawdowns")
    record = IdempotencyKey.objects.create(
        key=key, user=world.users[roles.FARMER], fingerprint=request_fingerprint(request, {**BODY, "purpose": ""})
    )
    IdempotencyKey.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=age_seconds)
    )
    return record


def test_a_retry_takes_over_an_abandoned_key_and_posts_once(world, farmer_line, api_client, settings):
    settings.PUHUI_IDEMPOTENCY_ABANDONED_SECONDS = 120
    abandoned_key(world, farmer_line, "killed", age_seconds=121)
    farmer = api_client(world.users[roles.FARMER])
    path = f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns"
    first = post(farmer, path, BODY, "killed")
    assert first.status_code == 201, first.content
    again = post(farmer, path, BODY, "killed")
    assert (again.status_code, again.json()) == (201, first.json())
    assert Loan.objects.count() == 1 and IdempotencyKey.objects.get(key="killed").state == "done"
    assert_books_balanced()


def test_a_recent_key_in_progress_is_still_in_progress(world, farmer_line, api_client, settings):
    settings.PUHUI_IDEMPOTENCY_ABANDONED_SECONDS = 120
    abandoned_key(world, farmer_line, "running", age_seconds=60)
    farmer = api_client(world.users[roles.FARMER])
    response = post(farmer, f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns", BODY, "running")
    assert_error_shape(response, 409, "in_progress")
    assert not Loan.objects.exists()


def test_another_request_cannot_take_over_an_abandoned_key(world, farmer_line, api_client, settings):
    settings.PUHUI_IDEMPOTENCY_ABANDONED_SECONDS = 120
    abandoned_key(world, farmer_line, "theirs", age_seconds=600)
    farmer = api_client(world.users[roles.FARMER])
    other_body = {"amount": "200.00", "channel": "mobile"}
    response = post(farmer, f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns", other_body, "theirs")
    assert_error_shape(response, 409, "idempotency_conflict")
    assert not Loan.objects.exists()


def test_a_request_whose_key_was_taken_over_meanwhile_posts_nothing(world, farmer_line):
    farmer = world.users[roles.FARMER]
    request = RequestFactory().post(f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns", HTTP_IDEMPOTENCY_KEY="slow")
    request.user = farmer

    def slow_action():
        line_drawdown(user=farmer, line_id=farmer_line.pk, amount_fen=10_000, channel="mobile")
        # meanwhile a retry found the key abandoned and took it over (its claim time changed)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_idempotencykey SET created_at = %s WHERE key = 'slow'", [timezone.now()])
        return 201, {"posted": True}

    with pytest.raises(ApiError) as refused:
        run_once(request, BODY, slow_action)
    assert refused.value.code == "in_progress"
    assert not Loan.objects.exists() and not Journal.objects.exists()
