"""API.md credit operations: lines, drawdowns and repayments with Idempotency-Key, statement, trial balance."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from puhui.core.services import api_token_issue
from puhui.credit.models import Journal, Loan
from puhui.households.models import Person
from puhui.org import roles
from tests.core.test_api_auth import assert_error_shape
from tests.credit.test_money_services import make_line

LINE_FIELDS = {
    "id",
    "household",
    "limit",
    "available",
    "outstanding_principal",
    "status",
    "grade",
    "rate",
    "start_date",
    "end_date",
}


@pytest.fixture
def line(world):
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    return line


def post(client, path, body, key="k-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_farmer_draws_and_repays_from_mobile(world, line, api_client):
    farmer = api_client(world.users[roles.FARMER])
    response = post(farmer, f"/api/v1/credit-lines/{line.pk}/drawdowns", {"amount": "20000.00", "channel": "mobile"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body["line"]) == LINE_FIELDS
    assert body["line"]["available"] == "280000.00" and body["line"]["rate"] == "4.85"
    response = post(
        farmer, f"/api/v1/credit-lines/{line.pk}/repayments", {"amount": "5000.00", "channel": "mobile"}, "k-2"
    )
    assert response.status_code == 201
    assert response.json()["allocated"] == {
        "penalty": "0.00",
        "overdue_interest": "0.00",
        "interest": "0.00",
        "principal": "5000.00",
    }
    detail = farmer.get(f"/api/v1/credit-lines/{line.pk}").json()
    assert detail["outstanding_principal"] == "15000.00" and detail["accrued_interest"] == "0.00"
    assert [loan["outstanding_principal"] for loan in detail["loans"]] == ["15000.00"]
    entries = farmer.get(f"/api/v1/credit-lines/{line.pk}/statement").json()["entries"]
    assert [(e["kind"], e["amount"], e["principal_after"]) for e in entries] == [
        ("drawdown", "20000.00", "20000.00"),
        ("repayment", "5000.00", "15000.00"),
    ]
    balance = api_client(world.users[roles.AUDITOR]).get("/api/v1/ledger/trial-balance").json()
    assert balance == {
        "debits": "25000.00",
        "credits": "25000.00",
        "balanced": True,
        "principal_control": "15000.00",
        "loans_outstanding": "15000.00",
    }


def test_idempotency_cases(world, line, api_client):
    farmer = api_client(world.users[roles.FARMER])
    path = f"/api/v1/credit-lines/{line.pk}/drawdowns"
    first = post(farmer, path, {"amount": "100.00", "channel": "mobile"}, "same")
    again = post(farmer, path, {"amount": "100.00", "channel": "mobile"}, "same")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert Loan.objects.count() == 1
    assert_error_shape(
        post(farmer, path, {"amount": "200.00", "channel": "mobile"}, "same"), 409, "idempotency_conflict"
    )
    other_farmer = world.users[roles.FARMER]
    raw, _ = api_token_issue(user=other_farmer)  # the same user with another token is the same user
    assert (
        post(
            Client(headers={"Authorization": f"Bearer {raw}"}), path, {"amount": "100.00", "channel": "mobile"}, "same"
        ).status_code
        == 201
    )
    manager = api_client(world.users[roles.ACCOUNT_MANAGER])
    assert_error_shape(
        post(manager, path, {"amount": "100.00", "channel": "counter"}, "same"), 409, "idempotency_conflict"
    )
    # a refused request does not consume its key
    refused = post(farmer, path, {"amount": "999999.00", "channel": "mobile"}, "fresh")
    assert_error_shape(refused, 422, "exceeds_available")
    assert post(farmer, path, {"amount": "1.00", "channel": "mobile"}, "fresh").status_code == 201
    assert_error_shape(post(farmer, path, {"amount": "1.00", "channel": "mobile"}, None), 400)
    assert_error_shape(post(farmer, path, {"amount": "1.00", "channel": "mobile"}, "x" * 65), 400)
    assert Loan.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": "0.00", "channel": "mobile"}, 422, "invalid_amount"),
        ({"amount": "-1.00", "channel": "mobile"}, 422, "invalid_amount"),
        ({"amount": "1.001", "channel": "mobile"}, 422, "invalid_amount"),
        ({"amount": "abc", "channel": "mobile"}, 422, "invalid_amount"),
        ({"amount": 100, "channel": "mobile"}, 400, "invalid_request"),
        ({"amount": "1.00", "channel": "bitcoin"}, 400, "invalid_request"),
        ({"amount": "1.00"}, 400, "invalid_request"),
        ({"amount": "1.00", "channel": "counter"}, 403, "channel_not_allowed"),
    ],
)
def test_bad_drawdowns_post_nothing(world, line, api_client, body, status, code):
    response = post(api_client(world.users[roles.FARMER]), f"/api/v1/credit-lines/{line.pk}/drawdowns", body)
    assert_error_shape(response, status, code)
    assert not Journal.objects.exists()


def test_refusal_codes_reachable(world, line, api_client):
    from puhui.credit.models import CreditLine

    farmer = api_client(world.users[roles.FARMER])
    path = f"/api/v1/credit-lines/{line.pk}/drawdowns"
    CreditLine.objects.filter(pk=line.pk).update(status="frozen")
    assert_error_shape(post(farmer, path, {"amount": "1.00", "channel": "mobile"}, "a"), 422, "line_frozen")
    CreditLine.objects.filter(pk=line.pk).update(status="closed")
    assert_error_shape(post(farmer, path, {"amount": "1.00", "channel": "mobile"}, "b"), 422, "line_not_active")
    CreditLine.objects.filter(pk=line.pk).update(status="expired")
    assert_error_shape(post(farmer, path, {"amount": "1.00", "channel": "mobile"}, "c"), 422, "line_expired")
    repay = f"/api/v1/credit-lines/{line.pk}/repayments"
    assert_error_shape(post(farmer, repay, {"amount": "1.00", "channel": "mobile"}, "d"), 422, "exceeds_amount_due")
    assert_error_shape(post(farmer, repay, {"amount": "0", "channel": "mobile"}, "e"), 422, "invalid_amount")


def test_scope(world, line, api_client):
    liaison = api_client(world.users[roles.LIAISON])
    body = {"amount": "1.00", "channel": "counter"}
    assert_error_shape(post(liaison, f"/api/v1/credit-lines/{line.pk}/drawdowns", body), 403, "forbidden")
    outsider = world.users[roles.EVALUATOR]
    assert_error_shape(api_client(outsider).get(f"/api/v1/credit-lines/{line.pk}"), 403)
    for role, visible in [(roles.HEAD_OFFICE, 1), (roles.ACCOUNT_MANAGER, 1), (roles.FARMER, 1), (roles.LIAISON, 1)]:
        assert len(api_client(world.users[role]).get("/api/v1/credit-lines").json()) == visible, role
    from tests.conftest import make_user

    stranger = make_user("farmer2", roles.FARMER)
    assert api_client(stranger).get("/api/v1/credit-lines").json() == []
    by_village = "/api/v1/credit-lines?village={}".format
    manager, head_office = api_client(world.users[roles.ACCOUNT_MANAGER]), api_client(world.users[roles.HEAD_OFFICE])
    assert [x["id"] for x in manager.get(by_village(world.village_mine.code)).json()] == [line.pk]
    for village in (world.village_other, world.village_out):  # another manager's grid; another township
        assert_error_shape(manager.get(by_village(village.code)), 404, "not_found")  # as /villages?township=
        assert head_office.get(by_village(village.code)).json() == []  # in the head office's scope: no lines there
    assert_error_shape(head_office.get(by_village("330781999999")), 404, "not_found")  # no such village
    assert api_client(world.users[roles.FARMER]).get(by_village(world.village_out.code)).json() == []  # own lines only
    assert_error_shape(api_client(stranger).get(f"/api/v1/credit-lines/{line.pk}"), 404)
    assert_error_shape(api_client(world.users[roles.ACCOUNT_MANAGER]).get("/api/v1/ledger/trial-balance"), 403)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent replay: PostgreSQL")
def test_same_key_ten_times_at_once_posts_once(world):
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    raw, _ = api_token_issue(user=world.users[roles.FARMER])

    def send(_):
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}"})
            return post(
                client, f"/api/v1/credit-lines/{line.pk}/drawdowns", {"amount": "10.00", "channel": "mobile"}, "once"
            ).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(send, range(10)))
    assert Loan.objects.count() == 1
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}


def test_a_request_still_in_flight_answers_in_progress(world, line, api_client):
    from django.test import RequestFactory

    from puhui.core.idempotency import request_fingerprint
    from puhui.core.models import IdempotencyKey

    farmer_user = world.users[roles.FARMER]
    path, body = f"/api/v1/credit-lines/{line.pk}/drawdowns", {"amount": "100.00", "channel": "mobile"}
    # the key as the first request leaves it while its transaction is still running
    fingerprint = request_fingerprint(RequestFactory().post(path), {**body, "purpose": ""})  # as the API parses it
    IdempotencyKey.objects.create(key="busy", user=farmer_user, fingerprint=fingerprint)
    assert_error_shape(post(api_client(farmer_user), path, body, "busy"), 409, "in_progress")
    assert not Loan.objects.exists()


@pytest.mark.parametrize("line_id", [2**63, 515201254452614757152194560])
@pytest.mark.parametrize(
    ("action", "channel"), [("drawdowns", "mobile"), ("repayments", "mobile"), ("drawdowns", "counter")]
)
def test_a_line_id_no_row_can_have_is_not_found(world, line, api_client, line_id, action, channel):
    """An id beyond 64 bits names no line: 404 like any other, not a database error (SQLite cannot be asked)."""
    farmer = api_client(world.users[roles.FARMER])
    response = post(farmer, f"/api/v1/credit-lines/{line_id}/{action}", {"amount": "1.00", "channel": channel})
    assert_error_shape(response, 404, "not_found")
    assert not Loan.objects.exists()
