"""The fixed operations of API.md for this stage: villages, business date, OpenAPI."""

import datetime

import pytest
from django.test import Client
from openapi_spec_validator import validate

from puhui.core.services import business_date_set
from puhui.org import roles
from tests.core.test_api_auth import assert_error_shape


def test_openapi_document_is_valid_openapi_3(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    validate(spec)
    for path in ("/api/v1/auth/token", "/api/v1/villages", "/api/v1/business-date"):
        assert path in spec["paths"]


def test_docs_page_is_served(db):
    assert Client().get("/api/v1/docs").status_code == 200


def test_villages_contract_fields(world, api_client):
    response = api_client(world.users[roles.HEAD_OFFICE]).get("/api/v1/villages")
    assert response.status_code == 200
    rows = response.json()
    assert [r["code"] for r in rows] == ["330781101201", "330781102201", "330781102202"]
    assert rows[1] == {
        "code": "330781102201",
        "name": "诸葛村",
        "township_code": "330781102",
        "is_rural": True,
        "households": 900,
        "population": 3000,
    }


def test_villages_filtered_by_township(world, api_client):
    client = api_client(world.users[roles.HEAD_OFFICE])
    rows = client.get("/api/v1/villages", {"township": "330781102"}).json()
    assert {r["code"] for r in rows} == {"330781102201", "330781102202"}


@pytest.mark.parametrize("township", ["abc", "33078110", "3307811020", "330781102 "])
def test_villages_malformed_township_is_400(world, api_client, township):
    response = api_client(world.users[roles.HEAD_OFFICE]).get("/api/v1/villages", {"township": township})
    assert_error_shape(response, 400, "invalid_request")


def test_villages_township_outside_scope_is_404(world, api_client):
    client = api_client(world.users[roles.BRANCH_MANAGER])
    assert_error_shape(client.get("/api/v1/villages", {"township": "330781101"}), 404, "not_found")
    assert_error_shape(client.get("/api/v1/villages", {"township": "330781999"}), 404, "not_found")


EXPECTED = {
    roles.HEAD_OFFICE: {"330781101201", "330781102201", "330781102202"},
    roles.AUDITOR: {"330781101201", "330781102201", "330781102202"},
    roles.BRANCH_MANAGER: {"330781102201", "330781102202"},
    roles.ACCOUNT_MANAGER: {"330781102201"},
    roles.LIAISON: {"330781102201"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_villages_per_staff_role(world, api_client, role):
    client = api_client(world.users[role])
    assert {r["code"] for r in client.get("/api/v1/villages").json()} == EXPECTED[role]
    for code in ("330781101201", "330781102201", "330781102202"):
        response = client.get(f"/api/v1/villages/{code}")
        if code in EXPECTED[role]:
            assert response.status_code == 200
            assert response.json()["code"] == code
        else:
            assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize("role", [roles.EVALUATOR, roles.FARMER])
def test_non_staff_are_403_on_staff_endpoints(world, api_client, role):
    client = api_client(world.users[role])
    for path in (
        "/api/v1/villages",
        "/api/v1/business-date",
        "/api/v1/townships",
        "/api/v1/villages/330781102201",
    ):
        assert_error_shape(client.get(path), 403, "forbidden")


def test_business_date(world, api_client):
    business_date_set(business_date=datetime.date(2018, 3, 20))
    response = api_client(world.users[roles.ACCOUNT_MANAGER]).get("/api/v1/business-date")
    assert response.status_code == 200
    assert response.json() == {"business_date": "2018-03-20"}


def test_business_date_starts_at_today_when_unset(world, api_client):
    from django.utils import timezone

    response = api_client(world.users[roles.HEAD_OFFICE]).get("/api/v1/business-date")
    assert response.json() == {"business_date": timezone.localdate().isoformat()}


def test_townships_in_scope(world, api_client):
    rows = api_client(world.users[roles.BRANCH_MANAGER]).get("/api/v1/townships").json()
    assert rows == [{"code": "330781102", "name": "诸葛镇", "branch": "诸葛支行"}]
