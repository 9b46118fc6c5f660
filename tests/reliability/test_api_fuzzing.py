"""API fuzzing (issue #7): schemathesis generates requests for every operation of /api/v1/openapi.json and sends
them to the running app (pytest-django's live server) as the head office, an account manager and a farmer: no
response is a server error, every response matches the documented schema and content type.

This is the short run of `make test`; `make reliability` runs the same with many more examples
(PUHUI_FUZZ_EXAMPLES)."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from puhui.core.services import api_token_issue
from puhui.org import roles
from tests.credit.test_money_services import make_line

EXAMPLES = int(os.environ.get("PUHUI_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
AS = (roles.HEAD_OFFICE, roles.ACCOUNT_MANAGER, roles.FARMER)


# The document the app serves (read once through WSGI); the requests go over HTTP to the live server.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def tokens(world):
    make_line(world, limit_fen=10_000_000)  # something for the credit operations to find
    return {role: api_token_issue(user=world.users[role])[0] for role in AS}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_response_documented(case, tokens, live_server):
    for role in AS:
        headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[role]}"}
        response = case.call(base_url=live_server.url, headers=headers)
        case.validate_response(response, checks=CHECKS)
