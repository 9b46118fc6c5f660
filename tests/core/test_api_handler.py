"""The WSGI application as gunicorn serves it: /api/ through the API's middleware list, pages through all of it."""

import io
import json
from contextlib import contextmanager

import pytest
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.http import HttpResponse

from puhui.core.api_handler import ApiWSGIHandler
from puhui.credit.api import DrawdownOut, RepaymentOut
from puhui.org import roles
from puhui.wsgi import application
from tests.conftest import PASSWORD
from tests.core.test_security_headers import assert_hardened


@contextmanager
def connections_kept():
    """As Django's test client does: the request's end must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def served(method: str, path: str, body: bytes = b"", app=application, **headers) -> HttpResponse:
    """One request through puhui.wsgi.application; the answer as a response object (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), response_headers

    with connections_kept():
        content = b"".join(app(environ, start_response))
    response = HttpResponse(content, status=answer["status"])
    for name, value in answer["headers"]:
        if name.lower() != "set-cookie":
            response[name] = value
    response.cookies_set = [value.strip() for name, value in answer["headers"] if name.lower() == "set-cookie"]
    return response


def token_for(username: str) -> str:
    response = served("POST", "/api/v1/auth/token", json.dumps({"username": username, "password": PASSWORD}).encode())
    assert response.status_code == 200, response.content
    return json.loads(response.content)["token"]


def test_api_login_and_a_call_without_a_session(world):
    token = token_for("head")
    response = served("GET", "/api/v1/business-date", authorization=f"Bearer {token}")
    assert response.status_code == 200 and "business_date" in json.loads(response.content)
    assert_hardened(response)
    assert response["Content-Language"] == "zh-hans"
    assert int(response["Content-Length"]) == len(response.content)
    assert response.cookies_set == []  # no session, no CSRF cookie for a bearer-token API


def test_api_refusals_are_json_in_chinese(world):
    wrong = served("POST", "/api/v1/auth/token", json.dumps({"username": "head", "password": "nope"}).encode())
    assert wrong.status_code == 401
    assert json.loads(wrong.content)["error"]["code"] == "invalid_credentials"
    assert served("GET", "/api/v1/business-date").status_code == 401
    missing = served("GET", "/api/v1/no-such-thing")
    assert missing.status_code == 404 and json.loads(missing.content)["error"]["code"] == "not_found"
    nul = served("POST", "/api/v1/auth/token", b'{"username": "he\\u0000ad", "password": "x"}')
    assert nul.status_code == 400
    assert_hardened(missing)


def test_api_account_lockout_still_applies(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        served("POST", "/api/v1/auth/token", json.dumps({"username": "branch", "password": "nope"}).encode())
    locked = served("POST", "/api/v1/auth/token", json.dumps({"username": "branch", "password": PASSWORD}).encode())
    assert locked.status_code == 429 and json.loads(locked.content)["error"]["code"] == "account_locked"


def test_the_token_endpoint_keeps_its_login_throttle(world, settings):
    """The API's login guards run for the token endpoint (core.api_handler.TokenLoginGuards), and only there."""
    settings.PUHUI_LOGIN_RATE_LIMIT = "2/600"
    cache.clear()
    app = ApiWSGIHandler()  # the throttle reads its limit when the handler is built
    try:
        wrong = json.dumps({"username": "head", "password": "nope"}).encode()
        assert [served("POST", "/api/v1/auth/token", wrong, app=app).status_code for _ in range(2)] == [401, 401]
        right = json.dumps({"username": "head", "password": PASSWORD}).encode()
        refused = served("POST", "/api/v1/auth/token", right, app=app)
        assert refused.status_code == 429 and json.loads(refused.content)["error"]["code"] == "rate_limited"
        assert served("GET", "/api/v1/business-date", app=app).status_code == 401  # not counted, not refused
    finally:
        cache.clear()


@pytest.mark.parametrize("path", ["/login/"])
def test_pages_keep_sessions_and_csrf(world, path):
    response = served("GET", path)
    assert response.status_code == 200
    assert any(cookie.startswith("csrftoken=") for cookie in response.cookies_set)
    assert_hardened(response)


def assert_declared(schema, response) -> None:
    """The answer is exactly what the operation's response schema (OpenAPI) declares: no field more or less,
    every value of its type."""
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert schema.model_validate(body).model_dump() == body


def test_a_farmer_draws_and_repays_through_the_served_application(world):
    from puhui.credit.models import Journal, Loan
    from puhui.households.models import Person
    from tests.credit.test_money_services import make_line

    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    token = token_for("farmer")
    path = f"/api/v1/credit-lines/{line.pk}"
    draw = json.dumps({"amount": "20000.00", "channel": "mobile"}).encode()
    response = served("POST", f"{path}/drawdowns", draw, authorization=f"Bearer {token}", idempotency_key="a-1")
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["line"]["available"] == "280000.00"
    assert_declared(DrawdownOut, response)
    again = served("POST", f"{path}/drawdowns", draw, authorization=f"Bearer {token}", idempotency_key="a-1")
    assert again.content == response.content and Loan.objects.filter(line=line).count() == 1
    repay = json.dumps({"amount": "5000.00", "channel": "mobile"}).encode()
    response = served("POST", f"{path}/repayments", repay, authorization=f"Bearer {token}", idempotency_key="a-2")
    assert response.status_code == 201 and json.loads(response.content)["allocated"]["principal"] == "5000.00"
    assert_declared(RepaymentOut, response)
    assert Journal.objects.filter(line=line).count() == 2
    # another household's line: 404 whatever else is wrong with the request, and nothing posted
    other = make_line(world, number="0002")
    for body, key in ((draw, "a-3"), (draw, ""), (json.dumps({"amount": "x", "channel": "counter"}).encode(), "a-4")):
        refused = served(
            "POST",
            f"/api/v1/credit-lines/{other.pk}/drawdowns",
            body,
            authorization=f"Bearer {token}",
            **({"idempotency_key": key} if key else {}),
        )
        assert refused.status_code == 404, (body, key, refused.content)
    assert Loan.objects.filter(line=other).count() == 0
