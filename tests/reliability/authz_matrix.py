"""The machinery of the authorization matrix: where each route lives, what it addresses, how an answer reads.

The routes come from the URL resolver and the OpenAPI document themselves, so a new URL or operation shows up
here without anyone listing it (and fails the matrix until the table declares it).
"""

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.reliability.authorization_table import (
    ADMIN_LOGIN,
    ANONYMOUS,
    FORBIDDEN,
    LOGIN,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
)
from tests.reliability.authz_world import Objects, Side


@dataclass(frozen=True)
class Pattern:
    name: str | None  # namespace:name
    route: str  # the pattern text, prefixes joined
    params: tuple[str, ...]  # the URL's parameter names
    is_api_operation: bool  # a django-ninja operation: covered through the OpenAPI document instead


def resolver_patterns() -> list[Pattern]:
    """Every URL pattern of the project, with its full name and route."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
                walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                params = tuple(entry.pattern.regex.groupindex)
                ninja = entry.callback.__module__.startswith("ninja.operation")
                found.append(Pattern(name, prefix + str(entry.pattern), params, ninja))

    walk(get_resolver().url_patterns, "", None)
    return found


def site_patterns() -> list[Pattern]:
    """The project's own pages: every pattern outside /admin/, the API operations left to `api_operations`."""
    return [p for p in resolver_patterns() if not p.route.startswith("admin/") and not p.is_api_operation]


def api_operations() -> list[str]:
    """'METHOD /api/v1/path' of every operation in the OpenAPI document."""
    from puhui.api_v1 import api

    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


# --- what a target means, inside and outside --------------------------------------------------------------


def address(objects: Objects, target: str | None, side_name: str) -> tuple[dict, dict]:
    """(URL parameters, query) addressing the target's object in one village; parameters under every name
    the routes use for it (pk, line_id, …), filtered later to the route's own."""
    if target is None:
        return {}, {}
    side: Side = getattr(objects, side_name)
    township, branch = side.village.township, side.village.township.branch
    values = {
        # KPI pages (authz_kpi): places by code, figure uploads by their uploader
        "township": ({"code": township.code}, {}),
        "branch": ({"code": branch.code}, {}),
        "branch_year": ({"code": branch.code, "year": 2017}, {}),
        "kpi_township_scope": ({}, {"scope": f"township:{township.code}"}),
        "kpi_series": ({}, {"scope": f"village:{side.village.code}", "indicator": "ZC1"}),
        "figure_source": ({"source": "core_banking"}, {}),
        "figure_history": ({"code": objects.kpi.get("indicator"), "scope": f"township:{township.code}"}, {}),
        "upload": ({"pk": objects.kpi["uploads"][side_name].pk} if objects.kpi else {}, {}),
        "township_query": ({}, {"township": side.village.township.code}),
        "kpi_scope": ({}, {"scope": f"village:{side.village.code}"}),
        "village": ({"code": side.village.code}, {}),
        "import_job": ({"pk": side.import_job.pk, "job_id": side.import_job.pk}, {}),
        "household": ({"pk": side.household.pk}, {}),
        "person": ({"pk": side.person.pk}, {}),
        "person_field": ({"pk": side.person.pk, "field": "phone"}, {}),
        "photo": ({"pk": side.photo.pk}, {}),
        "line": ({"pk": side.line.pk, "line_id": side.line.pk}, {}),
        "line_token": ({"pk": side.line.pk, "token": "no-such-token"}, {}),
        "journal": ({"pk": side.line.pk, "journal_id": side.journal.pk}, {}),
        "eod_job": ({"pk": objects.eod_job.pk}, {}),
        "campaign": ({"pk": side.campaign.pk}, {}),
        "round": ({"pk": side.closed_round.pk}, {}),
        "proposal": ({"pk": side.proposal.pk}, {}),
        "pending_proposal": ({"pk": side.pending_proposal.pk}, {}),
        "objection": ({"pk": side.objection.proposal_id, "objection_id": side.objection.pk}, {}),
        "batch": ({"pk": side.proposal.batch_id}, {}),
        "notice": ({"pk": side.notice.pk}, {}),
        "open_round": ({"round_id": side.open_round.pk}, {}),
        "card": ({"round_id": side.open_round.pk, "n": 1}, {}),
        "card_photo": ({"round_id": side.open_round.pk, "n": 1, "photo_id": side.open_photo.pk}, {}),
        "verification": ({"code": side.proposal.verification_code}, {}),
    }
    return values[target]


# --- calling and reading ------------------------------------------------------------------------------------


def page_client(objects: Objects, role: str) -> Client:
    """A browser signed in as the role (its session made once, in `sessions_open`)."""
    client = Client(raise_request_exception=False)
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = objects.sessions[role]
    return client


def sessions_open(objects: Objects) -> None:
    for role, user in objects.users.items():
        client = Client()
        client.force_login(user)
        objects.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value


def api_client(objects: Objects, role: str) -> Client:
    headers = {} if role == ANONYMOUS else {"Authorization": f"Bearer {objects.tokens[role]}"}
    return Client(raise_request_exception=False, headers=headers)


def send(client: Client, method: str, url: str, data: dict, *, api: bool):
    """One request in a savepoint that is rolled back: a POST never changes what the next case sees."""
    uploads = {k: SimpleUploadedFile(f"{k}.xlsx", v) for k, v in data.items() if isinstance(v, bytes)}
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif method == "DELETE":
            response = client.delete(url)
        elif uploads:
            response = client.post(url, {**data, **uploads})
        elif api:
            response = client.post(
                url, data, content_type="application/json", headers={"Idempotency-Key": uuid.uuid4().hex}
            )
        else:
            response = client.post(url, data)
        if response.streaming:  # read to the end: the test client then closes the file, signals muted
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


def outcome(response) -> str:
    """The answer as a table outcome (the status itself when it is none of them: 405, 500, …)."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"])
        if "next" in parse_qs(location.query):
            if location.path == reverse(settings.LOGIN_URL):
                return LOGIN
            if location.path == reverse("admin:login"):
                return ADMIN_LOGIN
        return OK
    if 200 <= status < 300 or status in (400, 409, 422):
        return OK
    return {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}.get(status, str(status))


def with_query(url: str, query: dict) -> str:
    return f"{url}?{urlencode(query)}" if query else url


# --- the admin ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminUrl:
    key: str  # url name, or "<app>_<model>_redirect" / "catch_all" for the unnamed ones
    kind: str  # changelist, add, change, delete, history, redirect, app_list, site, catch_all
    model_label: str | None  # "app.model" (lower case) for a model's URLs
    params: tuple[str, ...]


MODEL_KINDS = ("changelist", "add", "history", "delete", "change")
PASSWORD_URL = "admin:auth_user_password_change"  # UserAdmin names it after auth.User whatever the model


def admin_urls() -> list[AdminUrl]:
    """Every admin URL pattern, each tied to its model where it has one."""
    models = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}
    found = []
    for p in resolver_patterns():
        if not p.route.startswith("admin/"):
            continue
        if p.name is None:
            owner = next((key for key, m in models.items() if p.route.startswith(_model_prefix(m))), None)
            if owner is not None:
                found.append(AdminUrl(f"admin:{owner}_redirect", "redirect", _label(models[owner]), p.params))
            else:
                found.append(AdminUrl("admin:catch_all", "catch_all", None, p.params))
            continue
        if p.name == PASSWORD_URL:
            user_model = next(m for m in models.values() if m._meta.label == settings.AUTH_USER_MODEL)
            found.append(AdminUrl(p.name, "password", _label(user_model), p.params))
            continue
        short = p.name.removeprefix("admin:")
        kind = next((k for k in MODEL_KINDS if short.endswith(f"_{k}") and short[: -len(k) - 1] in models), None)
        if kind:
            found.append(AdminUrl(p.name, kind, _label(models[short[: -len(kind) - 1]]), p.params))
        elif short == "app_list":
            found.append(AdminUrl(p.name, "app_list", None, p.params))
        else:
            found.append(AdminUrl(p.name, "site", None, p.params))
    return found


def _model_prefix(model) -> str:
    return f"admin/{model._meta.app_label}/{model._meta.model_name}/"


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"
