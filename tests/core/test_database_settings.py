"""The PostgreSQL connection's options (settings._database_config): prepared statements planned generically."""

import pytest
from django.db import connection

from puhui import settings as puhui_settings

URL = "postgresql://app:secret@db.example:5432/puhui"


def test_prepared_statements_are_planned_generically_by_default(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.delenv("PUHUI_DB_PLAN_CACHE_MODE", raising=False)
    assert puhui_settings._database_config()["OPTIONS"]["options"] == "-c plan_cache_mode=force_generic_plan"


def test_the_urls_own_options_are_kept(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", URL + "?options=-c%20statement_timeout%3D5000")
    monkeypatch.delenv("PUHUI_DB_PLAN_CACHE_MODE", raising=False)
    options = puhui_settings._database_config()["OPTIONS"]["options"]
    assert options == "-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan"


@pytest.mark.parametrize(
    ("mode", "expected"), [("auto", None), ("force_custom_plan", "-c plan_cache_mode=force_custom_plan")]
)
def test_the_plan_cache_mode_is_configurable(monkeypatch, mode, expected):
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.setenv("PUHUI_DB_PLAN_CACHE_MODE", mode)
    assert puhui_settings._database_config()["OPTIONS"].get("options") == expected


def test_sqlite_has_no_such_option(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/puhui-test.sqlite3")
    assert "options" not in puhui_settings._database_config()["OPTIONS"]


@pytest.mark.django_db
def test_the_connection_plans_generically():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
