"""Odd and hostile input answers 4xx, never 500 — on SQLite and on PostgreSQL (which refuses NUL in text)."""

import pytest

from puhui.households.models import Household
from puhui.org import roles

PATHS = [
    "/api/v1/jobs/abc",
    "/api/v1/jobs/99999999999999999999999",
    "/api/v1/villages/%00/progress",
    "/api/v1/villages/abc",
    "/api/v1/villages/330781102201%00",
    "/api/v1/villages?township=%ff",
    "/api/v1/villages?township=33078110%00",
    "/households/0/",
    "/households/99999999999999999999/",
    "/villages/%3Cscript%3E/households/",
    "/villages/330781102201/households/?q=a%00b",
    "/persons/1/reveal/password/",
    "/coverage/?sort=%00",
    "/villages/?township=abc",
    "/imports/jobs/999/",
    "/photos/1/image.jpg",
]


@pytest.mark.parametrize("path", PATHS)
def test_odd_paths_are_client_errors(world, api_client, login, path):
    head = world.users[roles.HEAD_OFFICE]
    client = api_client(head) if path.startswith("/api") else login(head)
    assert 400 <= client.get(path).status_code < 500
    assert 400 <= client.post(path, data=b"\xff{", content_type="application/json").status_code < 500


def test_nul_in_a_form_changes_nothing(world, login):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    response = client.post("/villages/330781102201/households/new/", {"number": "A\x00B", "address": "x"}, follow=False)
    assert response.status_code in (200, 400)  # the form refuses NUL (Django's field validator)
    assert not Household.objects.exists()
    urlencoded = client.post(
        "/villages/330781102201/households/new/", "number=A%00B", content_type="application/x-www-form-urlencoded"
    )
    assert urlencoded.status_code == 400 and "NUL" in urlencoded.content.decode()


def test_nul_in_json_is_400(world, api_client):
    response = api_client(world.users[roles.HEAD_OFFICE]).post(
        "/api/v1/auth/token", data='{"username": "a\\u0000b", "password": "x"}', content_type="application/json"
    )
    assert response.status_code == 400
