"""The PostgreSQL backend's health check (puhui.core.postgresql) finds a connection the server hung up on
without sending a query, and keeps a healthy one."""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import load_backend

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend")


@pytest.fixture
def kept(db):
    settings_dict = {**connection.settings_dict}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="kept")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_an_idle_healthy_connection_is_usable(kept):
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert settings.DATABASES["default"]["ENGINE"] == "puhui.core.postgresql"
    assert kept.is_usable()


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced(kept):
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the server's goodbye reaches the socket a moment later
        if not kept.is_usable():
            break
        time.sleep(0.02)
    assert not kept.is_usable()
    kept.health_check_done = False
    kept.close_if_health_check_failed()  # what Django does at the start of a request
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
