"""API.md conventions: tokens, 401/400 in the error shape, expiry and revocation."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from puhui.core.models import ApiToken
from puhui.org import roles
from tests.conftest import PASSWORD


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def post_json(client, path, payload, **extra):
    return client.post(path, data=json.dumps(payload), content_type="application/json", **extra)


def test_token_then_bearer_call(world):
    client = Client()
    response = post_json(client, "/api/v1/auth/token", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 32
    # only the hash is stored
    assert not ApiToken.objects.filter(key_hash=token).exists()
    answer = client.get("/api/v1/business-date", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_wrong_password_is_401_in_chinese(world):
    response = post_json(Client(), "/api/v1/auth/token", {"username": "manager", "password": "nope-nope-1"})
    error = assert_error_shape(response, 401, "invalid_credentials")
    assert "密码" in error["message"]


def test_unknown_user_is_401(world):
    response = post_json(Client(), "/api/v1/auth/token", {"username": "nobody", "password": "x"})
    assert_error_shape(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"username": "manager"}',
        b'{"username": 5, "password": []}',
        b'{"username": "", "password": ""}',
        b"\xff\xfe",
    ],
)
def test_malformed_token_request_is_400(world, body):
    response = Client().post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_error_shape(response, 400, "invalid_request")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Token abc", "Bearer " + "x" * 5000])
def test_bad_tokens_are_401(world, header):
    headers = {"Authorization": header} if header else {}
    response = Client(headers=headers).get("/api/v1/villages")
    error = assert_error_shape(response, 401, "not_authenticated")
    assert "令牌" in error["message"]


def test_expired_token_is_401(world, api_client):
    client = api_client(world.users[roles.HEAD_OFFICE])
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_error_shape(client.get("/api/v1/villages"), 401)


def test_token_lifetime_defaults_to_12_hours(world):
    response = post_json(Client(), "/api/v1/auth/token", {"username": "head", "password": PASSWORD})
    token = ApiToken.objects.get()
    lifetime = token.expires_at - token.created_at
    assert datetime.timedelta(hours=11, minutes=59) < lifetime <= datetime.timedelta(hours=12)
    assert response.json()["expires_at"].startswith(timezone.localtime(token.expires_at).date().isoformat())


def test_revoked_token_is_401(world, api_client):
    client = api_client(world.users[roles.HEAD_OFFICE])
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert ApiToken.objects.get().revoked_at is not None
    assert_error_shape(client.get("/api/v1/villages"), 401)


def test_inactive_user_token_is_401(world, api_client):
    head = world.users[roles.HEAD_OFFICE]
    client = api_client(head)
    head.is_active = False
    head.save()
    assert_error_shape(client.get("/api/v1/villages"), 401)


def test_unknown_api_path_is_json_404(world, api_client):
    response = api_client(world.users[roles.HEAD_OFFICE]).get("/api/v1/no-such-thing")
    assert_error_shape(response, 404, "not_found")


def test_token_request_echoes_no_password(world):
    response = post_json(Client(), "/api/v1/auth/token", {"username": "manager", "password": ["secret-Value"]})
    assert response.status_code == 400
    assert b"secret-Value" not in response.content


def test_chinese_is_sent_as_utf8_not_escapes(world):
    response = Client().get("/api/v1/villages")
    assert response["Content-Type"].startswith("application/json")
    assert "令牌".encode() in response.content
