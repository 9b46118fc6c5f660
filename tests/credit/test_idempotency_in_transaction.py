"""The Idempotency-Key is written in the transaction of the posting it answers: a request that dies before its
COMMIT (a killed server worker) leaves neither posting nor key, so its retry posts once; while a request runs,
its key is held (PostgreSQL: an advisory lock), and the same key answers 409 in_progress."""

import threading

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from puhui.core.idempotency import run_once
from puhui.core.models import IdempotencyKey
from puhui.credit.models import Journal, Loan
from puhui.credit.services import line_drawdown
from puhui.households.models import Person
from puhui.org import roles
from tests.core.test_api_auth import assert_error_shape
from tests.credit.test_credit_api import post
from tests.credit.test_money_services import assert_books_balanced, make_line

BODY = {"amount": "100.00", "channel": "mobile"}


class WorkerKilled(BaseException):
    """Stands for the process dying in the middle of the request (not an Exception: nothing handles it)."""


@pytest.fixture
def farmer_line(world):
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    return line


def test_a_request_killed_before_its_commit_leaves_no_key_and_its_retry_posts_once(world, farmer_line, api_client):
    farmer = world.users[roles.FARMER]
    path = f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns"
    request = RequestFactory().post(path, HTTP_IDEMPOTENCY_KEY="killed")
    request.user = farmer

    def killed_after_posting():
        line_drawdown(user=farmer, line_id=farmer_line.pk, amount_fen=10_000, channel="mobile")
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        run_once(request, {**BODY, "purpose": ""}, killed_after_posting)
    assert not IdempotencyKey.objects.filter(key="killed").exists()
    assert not Loan.objects.exists() and not Journal.objects.exists()

    client = api_client(farmer)
    first = post(client, path, BODY, "killed")
    assert first.status_code == 201, first.content
    again = post(client, path, BODY, "killed")
    assert (again.status_code, again.json()) == (201, first.json())
    assert Loan.objects.count() == 1 and IdempotencyKey.objects.get(key="killed").state == "done"
    assert_books_balanced()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_a_key_held_by_a_running_request_answers_in_progress(world, farmer_line, api_client):
    """Another connection's transaction holds the key as a running request does: 409 in_progress, nothing
    posted; once it has ended, the key is free."""
    held, release = threading.Event(), threading.Event()

    def running_request():
        try:
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("BEGIN")
                cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["busy"])
                held.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            connections.close_all()

    thread = threading.Thread(target=running_request)
    thread.start()
    try:
        assert held.wait(10)
        client = api_client(world.users[roles.FARMER])
        path = f"/api/v1/credit-lines/{farmer_line.pk}/drawdowns"
        assert_error_shape(post(client, path, BODY, "busy"), 409, "in_progress")
        assert not Loan.objects.exists() and not IdempotencyKey.objects.filter(key="busy").exists()
    finally:
        release.set()
        thread.join()
    assert post(client, path, BODY, "busy").status_code == 201
    assert Loan.objects.count() == 1
