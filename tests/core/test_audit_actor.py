"""The audit actor context nests: requests (auditlog's middleware) wrap services that name their actor."""

import json

import pytest
from auditlog.models import LogEntry
from django.db.models.signals import pre_save

from puhui.core.audit import set_actor
from puhui.credit.models import Loan
from puhui.org import roles
from tests.credit.test_money_services import make_line


def log_entry_receivers() -> int:
    return len(pre_save._live_receivers(LogEntry)[0])


def test_nested_contexts_leave_no_receiver_behind(world):
    manager = world.users[roles.ACCOUNT_MANAGER]
    before = log_entry_receivers()
    for _ in range(50):
        with set_actor(None), set_actor(manager), set_actor(manager):
            pass
    assert log_entry_receivers() == before


def test_requests_leave_no_receiver_behind_and_name_their_actor(world, api_client):
    line = make_line(world)
    manager = world.users[roles.ACCOUNT_MANAGER]
    client = api_client(manager)
    path = f"/api/v1/credit-lines/{line.pk}/drawdowns"
    before = log_entry_receivers()
    for n in range(20):
        body = json.dumps({"amount": "100.00", "channel": "field"})
        response = client.post(path, body, content_type="application/json", headers={"Idempotency-Key": f"k{n}"})
        assert response.status_code == 201, response.content
    assert log_entry_receivers() == before
    loans = Loan.objects.filter(line=line).values_list("pk", flat=True)
    entries = LogEntry.objects.filter(object_pk__in=[str(pk) for pk in loans], content_type__model="loan")
    assert entries.count() == 20
    assert set(entries.values_list("actor_id", flat=True)) == {manager.pk}


def test_a_posting_writes_whole_audit_entries_and_its_key_record(world, api_client):
    """The rows a money posting writes in SQL read back as auditlog's and the ORM's own would: every field."""
    from django.utils import timezone

    from puhui.core.models import IdempotencyKey

    line = make_line(world)
    manager = world.users[roles.ACCOUNT_MANAGER]
    client = api_client(manager)
    body = json.dumps({"amount": "100.00", "channel": "field", "purpose": "茶叶"})
    headers = {"Idempotency-Key": "whole-1", "X-Correlation-ID": "corr-1"}
    started = timezone.now()
    response = client.post(
        f"/api/v1/credit-lines/{line.pk}/drawdowns", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    loan = Loan.objects.get(pk=response.json()["loan_id"])
    entry = LogEntry.objects.get(content_type__model="loan", object_pk=str(loan.pk))
    assert (entry.object_id, entry.object_repr, entry.action) == (loan.pk, str(loan), LogEntry.Action.CREATE)
    assert entry.changes["principal_fen"] == ["None", "10000"] and entry.changes["purpose"] == ["None", "茶叶"]
    assert (entry.actor_id, entry.actor_email, entry.remote_addr) == (manager.pk, manager.email, "127.0.0.1")
    assert entry.serialized_data is None and entry.additional_data is None and entry.changes_text == ""
    assert started <= entry.timestamp <= timezone.now()
    assert entry.cid == "corr-1"  # the request's correlation id, as auditlog stamps it
    record = IdempotencyKey.objects.get(key="whole-1")
    assert (record.user_id, record.state, record.status_code) == (manager.pk, "done", 201)
    assert record.response_body == response.json() and started <= record.created_at <= timezone.now()


@pytest.mark.parametrize(
    ("forwarded", "port", "address", "stamped_port"),
    [
        ("203.0.113.7:8080, 10.0.0.1", "443", "203.0.113.7", 443),  # the first address, its port removed
        ("[2001:db8::1]:8080", "", "2001:db8::1", None),
        ("not-an-address", "x", "127.0.0.1", None),  # a forwarded value that is no address is not taken
        ("<script>", "", "127.0.0.1", None),
    ],
)
def test_a_posting_stamps_a_forwarded_address_as_auditlog_does(
    world, api_client, forwarded, port, address, stamped_port
):
    """X-Forwarded-For is the client's to send: a valid one is recorded (auditlog's rule), anything else falls
    back to the connection's address — and never fails the posting (it failed the audit row's inet column)."""
    line = make_line(world)
    client = api_client(world.users[roles.ACCOUNT_MANAGER])
    headers = {"Idempotency-Key": f"fwd-{forwarded}", "X-Forwarded-For": forwarded, "X-Forwarded-Port": port}
    body = json.dumps({"amount": "100.00", "channel": "field"})
    response = client.post(
        f"/api/v1/credit-lines/{line.pk}/drawdowns", body, content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    entry = LogEntry.objects.get(content_type__model="loan", object_pk=str(response.json()["loan_id"]))
    assert (entry.remote_addr, entry.remote_port) == (address, stamped_port)
