"""The declared authorization table: for every page, API operation and admin URL, what each role (and an
anonymous visitor) must get, for objects of three villages (SIDES) inside and outside the role's scope.

Outcomes: OK (2xx, or a redirect that is not to a login page, or a 400/409/422 refusal of the request body:
"not refused by authorization"), FORBIDDEN (403), NOT_FOUND (404), LOGIN (redirect to the login page with
?next=), ADMIN_LOGIN (the admin's login), UNAUTHORIZED (401, API only).

The project's rules (DOMAIN §1, API.md): anonymous → login (pages) / 401 (API); an authenticated user whose
role may not use a page or operation at all → 403; an object outside the user's scope → 404, on pages and the
API alike. Head office and auditors see the whole city, so the "outside" object is inside their scope.

Keys: a page is keyed by its URL name (namespace:name), an API operation by "METHOD /api/v1/path" as in the
OpenAPI document. The admin is declared by rule (ADMIN_* below) and every admin URL is checked against it.
"""

from dataclasses import dataclass, field

from puhui.org import roles

OK, FORBIDDEN, NOT_FOUND, LOGIN, ADMIN_LOGIN, UNAUTHORIZED = "ok", "403", "404", "login", "admin-login", "401"

ANONYMOUS = "anonymous"
HEAD, BRANCH, MANAGER = roles.HEAD_OFFICE, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER
LIAISON, EVALUATOR, AUDITOR, FARMER = roles.LIAISON, roles.EVALUATOR, roles.AUDITOR, roles.FARMER
ROLES = (ANONYMOUS, HEAD, BRANCH, MANAGER, LIAISON, EVALUATOR, AUDITOR, FARMER)

STAFF = (HEAD, BRANCH, MANAGER, LIAISON, AUDITOR)
EVERYONE = (HEAD, BRANCH, MANAGER, LIAISON, EVALUATOR, AUDITOR, FARMER)
CITY_WIDE = (HEAD, AUDITOR)
CAPTURE = (HEAD, BRANCH, MANAGER, LIAISON)  # households/capture_views.CAPTURE_ROLES: auditors read only
REVEAL = (HEAD, BRANCH, MANAGER, AUDITOR)  # org/services.REVEAL_ROLES: never liaisons or evaluators
IMPORT = (HEAD, MANAGER)  # roles.REGISTER_IMPORT_ROLES
MAKERS = (HEAD, BRANCH, MANAGER)  # deliberation maker actions
CHECKERS = (HEAD, BRANCH)  # deliberation checker actions
OFFICE = (HEAD, AUDITOR)  # end of day and the ledger


SIDES = ("inside", "neighbour", "outside")
# Whose scope reaches which village (authz_world): 诸葛村 is everybody's; 长乐村 (same branch, another account
# manager's grid) the branch manager's and the city-wide roles'; 下陈村 (another branch) only the city-wide roles'.
REACH = {HEAD: SIDES, AUDITOR: SIDES, BRANCH: ("inside", "neighbour")}
# Targets naming a township or a branch: 长乐村 lies in 诸葛镇 and 诸葛支行 like 诸葛村, so the neighbour's
# township and branch are those of the inside village.
UNSCOPED_TARGETS = {"figure_source"}  # a URL parameter that names no place
TOWNSHIP_TARGETS = {"township_query", "township", "kpi_township_scope", "figure_history", "branch", "branch_year"}


@dataclass(frozen=True)
class Route:
    method: str  # what the matrix sends: GET where the view answers GET, else POST (DELETE for the API)
    target: str | None  # the objects the URL addresses (see authz_matrix.address)
    expect: dict[str, tuple[str, str, str]]  # role → outcome for the (inside, neighbour, outside) object
    data: dict = field(default_factory=dict)  # POST body; "*" for every role, or per role code
    note: str = ""


def expect(
    allow=(),
    *,
    target=None,
    anonymous=LOGIN,
    refused=FORBIDDEN,
    scope_first=(),
    **overrides,
) -> dict[str, tuple[str, str, str]]:
    """Expected outcomes by the usual rule: `allow` → OK for an object in the role's scope, 404 outside it;
    `scope_first` are refused roles whose view looks the object up before checking the role (403 in scope,
    404 outside); every other authenticated role → `refused`; `overrides` per role code."""
    table = {}
    for role in ROLES:
        reach = SIDES if target in UNSCOPED_TARGETS | {None} else REACH.get(role, ("inside",))
        if target in TOWNSHIP_TARGETS and role not in CITY_WIDE:
            reach = ("inside", "neighbour")
        if role == ANONYMOUS:
            table[role] = (anonymous,) * 3
        elif role in allow:
            table[role] = tuple(OK if side in reach else NOT_FOUND for side in SIDES)
        elif role in scope_first:
            table[role] = tuple(FORBIDDEN if side in reach else NOT_FOUND for side in SIDES)
        else:
            table[role] = (refused,) * 3
    table.update(overrides)
    return table


def page(method, allow, target=None, data=None, note="", **kwargs) -> Route:
    return Route(method, target, expect(allow, target=target, **kwargs), data or {}, note)


def api(method, allow, target=None, data=None, note="", **kwargs) -> Route:
    kwargs.setdefault("anonymous", UNAUTHORIZED)
    return Route(method, target, expect(allow, target=target, **kwargs), data or {}, note)


PUBLIC = expect(EVERYONE, anonymous=OK)
# The household-import jobs belong to their owner (the account manager); nobody else sees them, not even
# head office: 404 for every other staff member, and outside (another manager's job) 404 for all.
OWNER_ONLY = {role: (NOT_FOUND,) * 3 for role in (HEAD, BRANCH, LIAISON, AUDITOR)} | {
    MANAGER: (OK, NOT_FOUND, NOT_FOUND)
}
DRAW_BODY = {"*": {"amount": "1.00", "channel": "field"}, FARMER: {"amount": "1.00", "channel": "mobile"}}
SIGNING = {"contract_number": "HT-AUTHZ-1", "signed_on": "2017-05-10"}  # a valid form reaches the scope check
ANSWER = {"knows_household": "yes", "integrity": "very_good", "debt": "none", "suggested": "150000", "go": "next"}

PAGES: dict[str, Route] = {
    # --- web: start page, sign-in, geography, health
    "home": page("GET", EVERYONE),
    "login": page("GET", EVERYONE, anonymous=OK, note="an authenticated user is sent on to the start page"),
    "logout": page("POST", EVERYONE, anonymous=OK),
    "set_language": page("POST", EVERYONE, anonymous=OK, data={"*": {"language": "en"}}),
    "healthz": page("GET", EVERYONE, anonymous=OK),
    "village-list": page("GET", STAFF, "township_query"),
    "village-detail": page("GET", STAFF, "village"),
    # --- households: the register import and coverage
    "household-import": page("GET", IMPORT),
    "household-import-template": page("GET", STAFF),
    "import-job": page("GET", (), "import_job", **OWNER_ONLY),
    "import-job-progress": page("GET", (), "import_job", **OWNER_ONLY),
    "import-job-errors": page("GET", (), "import_job", **OWNER_ONLY),
    "coverage": page("GET", STAFF, "township_query"),
    # --- households: capture (扫村建档)
    "village-households": page("GET", STAFF, "village"),
    "household-create": page("GET", CAPTURE, "village"),
    "village-export": page("GET", STAFF, "village"),
    "household-detail": page("GET", STAFF, "household"),
    "household-edit": page("GET", CAPTURE, "household"),
    "person-create": page("GET", CAPTURE, "household"),
    "photo-create": page("GET", CAPTURE, "household"),
    "household-reveal-address": page("POST", REVEAL, "household"),
    "person-edit": page("GET", CAPTURE, "person"),
    "person-delete": page("POST", CAPTURE, "person"),
    "person-reveal": page("POST", REVEAL, "person_field"),
    "photo-image": page("GET", STAFF, "photo"),
    "photo-thumbnail": page("GET", STAFF, "photo"),
    # --- credit: the farmer's own line
    "my-credit": page("GET", (FARMER,)),
    "my-credit-draw": page("GET", (FARMER,), "line"),
    "my-credit-repay": page("GET", (FARMER,), "line"),
    "my-credit-confirm": page("GET", (FARMER,), "line_token"),
    # --- credit: staff line pages (counter and door postings are the account manager's)
    "credit-line-list": page("GET", STAFF),
    "credit-line-detail": page("GET", STAFF, "line"),
    "credit-line-draw": page("POST", (MANAGER,), "line", scope_first=(HEAD, BRANCH, LIAISON, AUDITOR)),
    "credit-line-repay": page("POST", (MANAGER,), "line", scope_first=(HEAD, BRANCH, LIAISON, AUDITOR)),
    "credit-line-confirm": page("GET", (MANAGER,), "line_token", scope_first=(HEAD, BRANCH, LIAISON, AUDITOR)),
    "credit-line-receipt": page("GET", STAFF, "journal"),
    # --- credit: head office (end of day, ledger); auditors read
    "eod": page("GET", OFFICE),
    "eod-job": page("GET", OFFICE, "eod_job"),
    "eod-job-progress": page("GET", OFFICE, "eod_job"),
    "ledger": page("GET", OFFICE),
    # --- deliberation: staff pages
    "campaign-list": page("GET", STAFF),
    "campaign-detail": page("GET", STAFF, "campaign"),
    "campaign-panel-add": page("POST", MAKERS, "campaign"),
    "campaign-round-start": page("POST", MAKERS, "campaign"),
    "campaign-notice": page("POST", MAKERS, "campaign"),
    "campaign-submit": page("POST", MAKERS, "campaign"),
    "round-detail": page("GET", STAFF, "round"),
    "round-close": page("POST", MAKERS, "round"),
    "proposal-detail": page("GET", STAFF, "proposal"),
    "proposal-grey": page("POST", MAKERS, "proposal"),
    "proposal-objection": page("POST", MAKERS, "proposal"),
    "proposal-objection-resolve": page("POST", MAKERS, "objection"),
    "proposal-decide": page("POST", CHECKERS, "pending_proposal"),
    "proposal-sign": page("POST", MAKERS, "pending_proposal", data={"*": SIGNING}),
    "batch-detail": page("GET", STAFF, "batch"),
    "batch-decide": page("POST", CHECKERS, "batch"),
    "batch-export": page("GET", STAFF, "batch"),
    # --- deliberation: the evaluator's phone pages (scope = a seat on the panel of an open round)
    "evaluate-list": page("GET", (EVALUATOR,)),
    "evaluate-round": page("GET", (EVALUATOR,), "open_round"),
    "evaluate-card": page("GET", (EVALUATOR,), "card"),
    "evaluate-save": page("POST", (EVALUATOR,), "card", data={"*": ANSWER}),
    "evaluate-photo": page("GET", (EVALUATOR,), "card_photo"),
    "evaluate-submit": page("GET", (EVALUATOR,), "open_round"),
    "evaluate-done": page("GET", (EVALUATOR,), "open_round"),
    # --- deliberation: documents; the verification page is public by design (masked data only)
    "notice-detail": page("GET", STAFF, "notice"),
    "notice-pdf": page("GET", STAFF, "notice"),
    "proposal-credit-notice": page("GET", STAFF, "proposal"),
    "document-verify": Route("GET", "verification", PUBLIC, note="public; an unknown code answers 404"),
    # --- the API's own pages
    "api:api-root": Route("GET", None, expect(anonymous=NOT_FOUND, refused=NOT_FOUND), note="ninja: no root page"),
    "api:openapi-json": Route("GET", None, PUBLIC, note="the contract is public"),
    "api:openapi-view": Route("GET", None, PUBLIC, note="the browsable docs are public"),
}

# Pages answering GET and POST: the POST side too (an empty form: refused as invalid, or the role refused).
# Where the POST is narrower than the GET (end of day, launching a campaign), the narrower roles are here.
POST_ALSO: dict[str, Route] = {
    "household-import": page("POST", IMPORT),
    "household-create": page("POST", CAPTURE, "village"),
    "household-edit": page("POST", CAPTURE, "household"),
    "person-create": page("POST", CAPTURE, "household"),
    "person-edit": page("POST", CAPTURE, "person"),
    "photo-create": page("POST", CAPTURE, "household"),
    "my-credit-draw": page("POST", (FARMER,), "line"),
    "my-credit-repay": page("POST", (FARMER,), "line"),
    "my-credit-confirm": page("POST", (FARMER,), "line_token"),
    "credit-line-confirm": page("POST", (MANAGER,), "line_token", scope_first=(HEAD, BRANCH, LIAISON, AUDITOR)),
    "eod": page("POST", (HEAD,), note="auditors read the page, only head office runs end of day"),
    "campaign-list": page("POST", MAKERS, note="every staff role lists campaigns; makers launch them"),
    "evaluate-submit": page("POST", (EVALUATOR,), "open_round"),
}

# --- KPI pages (考核评估): dashboards by place; imported figures and branch plans (head office, auditors and
# branch managers read; head office and branch managers enter); the service-point register and designations.
READERS = (HEAD, AUDITOR, BRANCH)  # kpi/figure_selectors.READ_ROLES
ENTERERS = (HEAD, BRANCH)  # kpi/figure_selectors.user_may_enter_figures
NOWHERE = (NOT_FOUND,) * 3
KPI_PAGES: dict[str, Route] = {
    "kpi_dashboard:overview": page("GET", STAFF),
    "kpi_dashboard:branch": page("GET", READERS, "branch", **{MANAGER: NOWHERE, LIAISON: NOWHERE}),
    "kpi_dashboard:township": page("GET", STAFF, "township"),
    "kpi_dashboard:village": page("GET", STAFF, "village"),
    "kpi_dashboard:series": page("GET", STAFF, "kpi_series"),
    "kpi_dashboard:export": page("GET", STAFF, "kpi_scope"),
    "kpi_figures:index": page("GET", READERS),
    "kpi_figures:upload": page("GET", ENTERERS),
    "kpi_figures:template": page("GET", READERS, "figure_source"),
    "kpi_figures:upload-detail": page("GET", READERS, "upload", **{BRANCH: (OK, NOT_FOUND, NOT_FOUND)}),
    "kpi_figures:upload-errors": page("GET", READERS, "upload", **{BRANCH: (OK, NOT_FOUND, NOT_FOUND)}),
    "kpi_figures:enter": page("GET", ENTERERS),
    "kpi_figures:history": page("GET", READERS, "figure_history"),
    "kpi_figures:branch-plans": page("GET", READERS),
    "kpi_figures:branch-plan-edit": page(
        "GET", (BRANCH,), "branch_year", scope_first=CITY_WIDE, **{MANAGER: NOWHERE, LIAISON: NOWHERE}
    ),
    "kpi_register:service-points": page("GET", STAFF, "township_query"),
    "kpi_register:service-point-template": page("GET", STAFF),
    "kpi_register:designations": page("GET", STAFF),
    "kpi_register:designations-evaluate": page("POST", (HEAD,)),
}
POST_ALSO |= {
    "kpi_figures:upload": page("POST", ENTERERS),
    "kpi_figures:enter": page("POST", ENTERERS),
    "kpi_figures:branch-plan-edit": page(
        "POST", (BRANCH,), "branch_year", scope_first=CITY_WIDE, **{MANAGER: NOWHERE, LIAISON: NOWHERE}
    ),
    "kpi_register:service-points": page("POST", ENTERERS, "township_query", scope_first=(MANAGER, LIAISON, AUDITOR)),
}

API: dict[str, Route] = {
    "POST /api/v1/auth/token": Route("POST", None, expect(EVERYONE, anonymous=OK), note="no auth; body refused 400"),
    "DELETE /api/v1/auth/token": api("DELETE", EVERYONE),
    "GET /api/v1/business-date": api("GET", STAFF),
    "GET /api/v1/villages": api("GET", STAFF, "township_query"),
    "GET /api/v1/villages/{code}": api("GET", STAFF, "village"),
    "GET /api/v1/townships": api("GET", STAFF),
    "POST /api/v1/imports/households": api("POST", IMPORT, data={"*": {"file": b"not a workbook"}}),
    "GET /api/v1/jobs/{job_id}": api("GET", (), "import_job", refused=NOT_FOUND, **OWNER_ONLY),
    "GET /api/v1/jobs/{job_id}/error-report": api("GET", (), "import_job", refused=NOT_FOUND, **OWNER_ONLY),
    "GET /api/v1/villages/{code}/progress": api("GET", STAFF, "village"),
    "GET /api/v1/credit-lines": api("GET", (*STAFF, FARMER)),
    "GET /api/v1/credit-lines/{line_id}": api("GET", (*STAFF, FARMER), "line"),
    "POST /api/v1/credit-lines/{line_id}/drawdowns": api("POST", (MANAGER, FARMER), "line", data=DRAW_BODY),
    "POST /api/v1/credit-lines/{line_id}/repayments": api("POST", (MANAGER, FARMER), "line", data=DRAW_BODY),
    "GET /api/v1/credit-lines/{line_id}/statement": api("GET", (*STAFF, FARMER), "line"),
    "GET /api/v1/ledger/trial-balance": api("GET", OFFICE),
    "GET /api/v1/kpis": api("GET", STAFF, "kpi_scope"),
}

# --- the Django admin, by rule -----------------------------------------------------------------------------
# Anonymous visitors and users without is_staff (every role but head office and auditors) → the admin login.
# Staff → by their model permissions (role_groups_ensure: head office everything in the project's apps but
# changing the business date, auditors view only), narrowed by the admins declared read-only below.
ADMIN_READ_ONLY = {  # nothing added, changed or deleted through the admin, whatever the permissions
    "auditlog.logentry",
    "django_tasks_database.dbtaskresult",
    "core.businessdate",
    "credit.eodrun",
    "deliberation.campaign",
    "kpi.figureupload",
    "kpi.importedfigure",
    "kpi.designationrun",
    "kpi.designation",
}
ADMIN_NO_ADD = {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog", "core.apitoken"}
ADMIN_NO_DELETE = {"org.user"}  # a user who leaves is made inactive: the audit trail names its actors
# Singletons: never deleted; added only while there is no row.
ADMIN_SINGLETONS = {"credit.creditrules", "deliberation.deliberationrules", "kpi.designationrules"}
# Admin site views other than a model's: url name → outcome for staff (non-staff and anonymous: ADMIN_LOGIN).
ADMIN_SITE = {
    "admin:index": OK,
    "admin:password_change": OK,
    "admin:password_change_done": OK,
    "admin:jsi18n": OK,
    "admin:autocomplete": FORBIDDEN,  # called without a field to complete: Django refuses with 403
    "admin:view_on_site": NOT_FOUND,  # our models have no public URL
}
ADMIN_OPEN = {"admin:login": OK, "admin:logout": OK}  # every visitor, signed in or not


def admin_expect(kind: str, label: str | None, user, *, has_rows: bool = True) -> str:
    """The admin rule for one URL kind (see authz_matrix.admin_urls) and one user (None: anonymous);
    `has_rows`: whether the model has a row (a singleton is added only while it has none)."""
    if kind == "open":
        return OK
    if user is None or not (user.is_active and user.is_staff):
        return ADMIN_LOGIN
    if kind in ("redirect", "site_ok"):
        return OK
    if kind == "catch_all":
        return NOT_FOUND
    app, model = label.split(".") if label else (None, None)
    if kind == "app_list":
        return OK if user.has_module_perms(app) else NOT_FOUND
    may = {action: user.has_perm(f"{app}.{action}_{model}") for action in ("view", "add", "change", "delete")}
    readable = may["view"] or may["change"]
    if kind == "history" and not has_rows:
        return OK  # Django redirects a missing object's history before it looks at permissions (nothing shown)
    if kind in ("changelist", "change", "history"):
        return OK if readable else FORBIDDEN
    if kind == "password":  # UserAdmin's set-password page
        return OK if may["change"] else FORBIDDEN
    if kind == "add":
        if label in ADMIN_SINGLETONS:
            return OK if may["add"] and not has_rows else FORBIDDEN
        return OK if may["add"] and label not in ADMIN_READ_ONLY | ADMIN_NO_ADD else FORBIDDEN
    if kind == "delete":
        return OK if may["delete"] and label not in ADMIN_READ_ONLY | ADMIN_SINGLETONS | ADMIN_NO_DELETE else FORBIDDEN
    raise ValueError(kind)
