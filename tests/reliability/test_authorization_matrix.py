"""The authorization matrix (issue #7 item 1): every page, API operation and admin URL, called as every role and
anonymously, against objects of three villages inside and outside the role's scope, answered as the declared table says.

The objects are built once for the module (tests/reliability/authz_world.py) inside a transaction that is rolled
back at the end; every request runs in its own savepoint, rolled back too, so a POST never changes what the
next case sees. A route without a table entry fails `test_no_route_is_missing_from_the_table`.
"""

import logging
import re

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse

from puhui.deliberation import documents
from puhui.org.models import Village
from tests.conftest import world as world_fixture
from tests.reliability import authorization_table as table
from tests.reliability.authz_kpi import kpi_objects_build
from tests.reliability.authz_matrix import (
    address,
    admin_urls,
    api_client,
    api_operations,
    outcome,
    page_client,
    send,
    sessions_open,
    site_patterns,
    with_query,
)
from tests.reliability.authz_world import objects_build

ALL_PAGES = table.PAGES | table.KPI_PAGES
PATTERNS = {p.name: p for p in site_patterns()}
ADMIN_URLS = admin_urls()


@pytest.fixture(scope="module")
def objects(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world and the three villages' objects, once for the module, rolled back afterwards."""
    folder = tmp_path_factory.mktemp("authz")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = objects_build(world_fixture.__wrapped__(None), folder)
            built.kpi = kpi_objects_build(built, folder)
            sessions_open(built)
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def quiet_refusals(caplog):
    """Thousands of expected 403/404 warnings are noise (and time); a 500 is still logged as an error."""
    caplog.set_level(logging.ERROR, logger="django.request")


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch):
    """The HTML of a document is still rendered; only WeasyPrint's layout (seconds a page) is left out: the
    matrix asks who gets the document, tests/deliberation what it looks like."""
    monkeypatch.setattr(documents, "html_to_pdf", lambda html: b"%PDF-1.7 " + html.encode()[:64])


def mismatches_report(wrong: list[tuple]) -> str:
    lines = [
        f"  {who:15} {side:9} expected {want:11} got {got:11} ({detail})" for who, side, want, got, detail in wrong
    ]
    return "authorization differs from the table:\n" + "\n".join(lines)


def detail(response) -> str:
    location = response.get("Location", "")
    return f"{response.status_code} {location}".strip()


# --- completeness -------------------------------------------------------------------------------------------


def test_no_route_is_missing_from_the_table():
    unnamed = [p.route for p in site_patterns() if p.name is None]
    assert not unnamed, f"give these URL patterns a name so the table can declare them: {unnamed}"
    missing_pages = sorted(set(PATTERNS) - set(ALL_PAGES))
    stale_pages = sorted(set(ALL_PAGES) - set(PATTERNS))
    missing_ops = sorted(set(api_operations()) - set(table.API))
    stale_ops = sorted(set(table.API) - set(api_operations()))
    assert (missing_pages, missing_ops) == ([], []), f"routes without a table entry: {missing_pages + missing_ops}"
    assert (stale_pages, stale_ops) == ([], []), f"table entries without a route: {stale_pages + stale_ops}"


def test_every_table_entry_declares_every_role():
    for key, route in (ALL_PAGES | table.API | table.POST_ALSO).items():
        assert set(route.expect) == set(table.ROLES), key
        assert all(len(outcomes) == len(table.SIDES) for outcomes in route.expect.values()), key


def test_every_api_operation_pattern_is_in_the_openapi_document():
    from tests.reliability.authz_matrix import resolver_patterns

    paths = {key.split(" ", 1)[1] for key in api_operations()}
    for pattern in resolver_patterns():
        if pattern.is_api_operation:
            assert "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern.route) in paths, pattern.route


def test_every_admin_url_has_a_rule():
    for url in ADMIN_URLS:
        if url.kind == "site":
            assert url.key in table.ADMIN_SITE | table.ADMIN_OPEN, f"no admin rule for {url.key}"


# --- pages --------------------------------------------------------------------------------------------------


def _check(objects, key: str, route, call) -> None:
    wrong = []
    scoped = route.target and route.target not in table.UNSCOPED_TARGETS
    sides = table.SIDES if scoped else table.SIDES[:1]
    for role in table.ROLES:
        data = route.data.get(role, route.data.get("*", {}))
        for n, side in enumerate(sides):
            kwargs, query = address(objects, route.target, side)
            response = call(role, kwargs, query, data)
            got, want = outcome(response), route.expect[role][n]
            if got != want:
                wrong.append((role, side, want, got, detail(response)))
    assert not wrong, f"{key}: " + mismatches_report(wrong)


@pytest.mark.parametrize("key", sorted(ALL_PAGES))
def test_page(objects, db, key):
    route, pattern = ALL_PAGES[key], PATTERNS.get(key)
    assert pattern is not None, f"{key} is in the table but no longer a URL"

    def call(role, kwargs, query, data):
        url = reverse(key, kwargs={k: v for k, v in kwargs.items() if k in pattern.params})
        return send(page_client(objects, role), route.method, with_query(url, query), data, api=False)

    _check(objects, key, route, call)


@pytest.mark.parametrize("key", sorted(table.POST_ALSO))
def test_page_post(objects, db, key):
    """The POST side of a page that answers both (test_page sent the GET)."""
    route, pattern = table.POST_ALSO[key], PATTERNS[key]
    assert key in ALL_PAGES and ALL_PAGES[key].method == "GET", key

    def call(role, kwargs, query, data):
        url = reverse(key, kwargs={k: v for k, v in kwargs.items() if k in pattern.params})
        return send(page_client(objects, role), "POST", with_query(url, query), data, api=False)

    _check(objects, key, route, call)


@pytest.mark.parametrize("key", sorted(table.API))
def test_api(objects, db, key):
    route = table.API[key]
    method, path = key.split(" ", 1)
    assert method == route.method, key

    def call(role, kwargs, query, data):
        url = re.sub(r"\{(\w+)\}", lambda m: str(kwargs[m.group(1)]), path)
        return send(api_client(objects, role), route.method, with_query(url, query), data, api=True)

    _check(objects, key, route, call)


def test_verification_of_an_unknown_code_is_not_found(objects, db):
    for role in table.ROLES:
        response = send(page_client(objects, role), "GET", "/verify/no-such-code/", {}, api=False)
        assert outcome(response) == table.NOT_FOUND, role


# --- the admin ----------------------------------------------------------------------------------------------


def _admin_model(label: str):
    return next(m for m in admin.site._registry if f"{m._meta.app_label}.{m._meta.model_name}" == label)


def _admin_object_id(label: str) -> str:
    """The first row's key; a key no row has when the model is empty (the rule then expects the admin's
    "no such object" redirect wherever Django checks existence before permissions)."""
    model = _admin_model(label)
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    if pk is None:
        return "00000000-0000-0000-0000-000000000000" if model._meta.pk.get_internal_type() == "UUIDField" else "0"
    return str(pk)


def _admin_requests(url) -> list[tuple[str, str, str]]:
    """(path, method, rule kind) of one admin URL pattern; the app list once per registered app."""
    if url.kind == "app_list":
        apps = sorted({m._meta.app_label for m in admin.site._registry})
        return [(reverse(url.key, kwargs={"app_label": a}), "GET", f"app_list:{a}") for a in apps]
    if url.kind == "catch_all":
        return [("/admin/no-such-page/", "GET", "catch_all")]
    if url.kind == "redirect":
        app, model = url.model_label.split(".")
        return [(f"/admin/{app}/{model}/{_admin_object_id(url.model_label)}/", "GET", "redirect")]
    kwargs = {}
    if url.kind == "password":
        kwargs["id"] = _admin_object_id(url.model_label)
    elif "object_id" in url.params and url.model_label:
        kwargs["object_id"] = _admin_object_id(url.model_label)
    if url.key == "admin:view_on_site":
        village = Village.objects.order_by("pk").first()
        kwargs = {"content_type_id": ContentType.objects.get_for_model(Village).pk, "object_id": village.pk}
    method = "POST" if url.key == "admin:logout" else "GET"
    return [(reverse(url.key, kwargs=kwargs), method, url.kind)]


def _admin_want(url, kind: str, user) -> str:
    if url.kind == "site":
        if url.key in table.ADMIN_OPEN:
            return table.ADMIN_OPEN[url.key]
        if user is None or not user.is_staff:
            return table.ADMIN_LOGIN
        return table.ADMIN_SITE[url.key]
    if kind.startswith("app_list:"):
        return table.admin_expect("app_list", kind.split(":")[1] + ".-", user)
    has_rows = url.model_label is None or _admin_model(url.model_label)._default_manager.exists()
    return table.admin_expect(kind, url.model_label, user, has_rows=has_rows)


@pytest.mark.parametrize("url", ADMIN_URLS, ids=[u.key for u in ADMIN_URLS])
def test_admin(objects, db, url):
    wrong = []
    for path, method, kind in _admin_requests(url):
        for role in table.ROLES:
            user = None if role == table.ANONYMOUS else objects.users[role]
            response = send(page_client(objects, role), method, path, {}, api=False)
            got, want = outcome(response), _admin_want(url, kind, user)
            if got != want:
                wrong.append((role, path, want, got, detail(response)))
    assert not wrong, f"{url.key}: " + mismatches_report(wrong)


def test_head_office_cannot_make_itself_superuser_through_the_admin(objects, db):
    """Head office may change users (its admin permissions), but not raise itself above its role: the role
    deliberately lacks e.g. changing the business date (role_groups_ensure), which a superuser has."""
    head = objects.users[table.HEAD]
    client = page_client(objects, table.HEAD)
    url = reverse("admin:org_user_change", kwargs={"object_id": head.pk})
    joined = head.date_joined.astimezone()
    form = {
        "username": head.username,
        "full_name": head.full_name,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk for group in head.groups.all()],
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.time().strftime("%H:%M:%S"),
    }
    with transaction.atomic():
        response = client.post(url, form)
        head.refresh_from_db()
        raised = head.is_superuser
        transaction.set_rollback(True)
    assert not raised, f"head office made itself superuser through {url} (answer {response.status_code})"


def test_a_child_of_another_parent_is_not_found(objects, db):
    """A URL pairing an object in scope with a child of another one (a receipt of another line, a photo of a
    household not on the evaluator's card) answers 404, also for the city-wide roles."""
    inside, outside = objects.inside, objects.outside
    cases = [
        ("credit-line-receipt", {"pk": inside.line.pk, "journal_id": outside.journal.pk}, table.STAFF),
        (
            "evaluate-photo",
            {"round_id": inside.open_round.pk, "n": 1, "photo_id": outside.open_photo.pk},
            (table.EVALUATOR,),
        ),
        ("evaluate-photo", {"round_id": inside.open_round.pk, "n": 1, "photo_id": inside.photo.pk}, (table.EVALUATOR,)),
    ]
    for name, kwargs, who in cases:
        for role in who:
            response = send(page_client(objects, role), "GET", reverse(name, kwargs=kwargs), {}, api=False)
            assert outcome(response) == table.NOT_FOUND, (name, kwargs, role, response.status_code)
