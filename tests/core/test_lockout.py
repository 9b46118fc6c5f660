"""django-axes: five failures lock the account for 15 minutes (the sixth attempt is refused)."""

import json

from django.test import Client

from tests.conftest import PASSWORD


def token(client, password):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "manager", "password": password}),
        content_type="application/json",
    )


def test_sixth_attempt_is_locked_on_the_login_page(world):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "manager", "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    # another user from the same address is not locked
    assert Client().post("/login/", {"username": "head", "password": PASSWORD}).status_code == 302


def test_sixth_attempt_is_locked_on_the_api(world):
    client = Client()
    for _ in range(5):
        assert token(client, "wrong-password").status_code == 401
    response = token(client, PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "account_locked"


def test_lock_expires_after_15_minutes(world):
    import datetime

    from axes.models import AccessAttempt

    client = Client()
    for _ in range(5):
        token(client, "wrong-password")
    assert token(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert token(client, PASSWORD).status_code == 200


def test_four_failures_then_success_resets(world):
    client = Client()
    for _ in range(4):
        token(client, "wrong-password")
    assert token(client, PASSWORD).status_code == 200
    for _ in range(4):
        token(client, "wrong-password")
    assert token(client, PASSWORD).status_code == 200
