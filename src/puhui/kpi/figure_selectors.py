"""Reads of the imported figures and the branch annual plans, always through the user's scope.

Who sees what: the head office and auditors every scope; a branch manager the own branch (``branch:CODE``)
and its townships (``township:CODE``), never the city's figures or another branch's — those answer 404.
Only the head office and branch managers enter figures; auditors read.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404

from puhui.core.errors import ApiError
from puhui.kpi import figure_workbook as wb
from puhui.kpi.models import BranchTarget, FigureUpload, ImportedFigure, Indicator, Plan, Target
from puhui.kpi.selectors import catalogue, kpi_values, plan_for_year, target_for_year
from puhui.org import roles
from puhui.org.models import Branch, Township

READ_ROLES = (roles.HEAD_OFFICE, roles.AUDITOR, roles.BRANCH_MANAGER)


def user_may_enter_figures(user) -> bool:
    return user.has_role(roles.HEAD_OFFICE) or (user.has_role(roles.BRANCH_MANAGER) and bool(user.branch_id))


def figures_read_check(user) -> None:
    """The figure pages are for the head office, auditors and branch managers (403 for other staff)."""
    if not user.has_role(*READ_ROLES):
        raise PermissionDenied


def figure_scopes_visible(user) -> set[str] | None:
    """The scope keys the user sees: None for every scope (city-wide users)."""
    if user.is_city_wide:
        return None
    if not (user.has_role(roles.BRANCH_MANAGER) and user.branch_id):
        return set()
    branch = Branch.objects.filter(pk=user.branch_id).values_list("code", flat=True).first()
    townships = Township.objects.filter(branch_id=user.branch_id).values_list("code", flat=True)
    return {f"branch:{branch}", *(f"township:{code}" for code in townships)}


def figure_scope_checker(user) -> Callable[[str], bool]:
    """May the user enter figures for a scope: the head office anywhere, a branch manager own branch and
    townships. The user's scopes are read once, then checked for every row."""
    if user.has_role(roles.HEAD_OFFICE):
        return lambda scope: True
    visible = figure_scopes_visible(user)
    if visible is None:  # city-wide but not the head office: an auditor reads, never enters
        return lambda scope: False
    return visible.__contains__


def figure_scope_resolver() -> Callable[[str], str | None]:
    """范围 text → scope key: 全市 / city, a township code, a branch code, or the key itself."""
    townships = set(Township.objects.values_list("code", flat=True))
    branches = set(Branch.objects.values_list("code", flat=True))

    def resolve(text: str) -> str | None:
        text = text.strip()
        if text in wb.CITY_WORDS:
            return "city"
        level, _sep, code = text.partition(":")
        if _sep and level == "township" and code in townships:
            return text
        if _sep and level == "branch" and code in branches:
            return text
        if text in townships:
            return f"township:{text}"
        if text in branches:
            return f"branch:{text}"
        return None

    return resolve


def catalogue_facts() -> dict[str, wb.IndicatorFacts]:
    return {i.code: wb.IndicatorFacts(i.pk, i.code, i.name_zh, i.unit, i.source, tuple(i.scopes)) for i in catalogue()}


def source_indicators(source: str) -> list[wb.IndicatorFacts]:
    """The indicators of one source system's template, in catalogue order."""
    return [f for f in catalogue_facts().values() if wb.source_system_of(f.code, f.source) == source]


def imported_indicators() -> list[Indicator]:
    """Every indicator with an imported part (the manual-entry form's choices)."""
    return [i for i in catalogue() if wb.source_system_of(i.code, i.source) is not None]


def scope_names() -> dict[str, str]:
    """scope key → a readable name (全市, 诸葛镇 330781102, 诸葛支行 LX07)."""
    names = {"city": "全市"}
    for code, name in Township.objects.values_list("code", "name"):
        names[f"township:{code}"] = f"{name} {code}"
    for code, name in Branch.objects.values_list("code", "name"):
        names[f"branch:{code}"] = f"{name} {code}"
    return names


def _visible_figures(user):
    visible = figure_scopes_visible(user)
    figures = ImportedFigure.objects.all()
    return figures if visible is None else figures.filter(scope__in=visible)


def figures_current(*, user) -> list[ImportedFigure]:
    """The current figures the user sees, latest date first within each indicator and scope."""
    figures = list(
        _visible_figures(user)
        .filter(superseded_by__isnull=True)
        .select_related("indicator", "entered_by", "upload")
        .order_by("indicator__ordering", "scope", "-period")
    )
    return _decorated(figures)


def _decorated(figures: list[ImportedFigure], indicator: Indicator | None = None) -> list[ImportedFigure]:
    """Each figure with ``shown`` (its value as printed) and ``scope_name`` for the pages."""
    names = scope_names()
    for figure in figures:
        figure.shown = value_shown(figure.value, (indicator or figure.indicator).unit)
        figure.scope_name = names.get(figure.scope, figure.scope)
    return figures


def figure_history(*, user, indicator_code: str, scope: str) -> tuple[Indicator, list[ImportedFigure]]:
    """Every version of an indicator's figures for a scope, newest date and entry first; 404 outside scope."""
    indicator = Indicator.objects.filter(code=indicator_code).first()
    visible = figure_scopes_visible(user)
    if indicator is None or (visible is not None and scope not in visible):
        raise Http404
    versions = list(
        ImportedFigure.objects.filter(indicator=indicator, scope=scope)
        .select_related("entered_by", "upload", "superseded_by__entered_by")
        .order_by("-period", "-entered_at", "-pk")
    )
    return indicator, _decorated(versions, indicator)


def uploads_recent(*, user, limit: int = 20) -> list[FigureUpload]:
    uploads = FigureUpload.objects.select_related("uploaded_by")
    if not user.is_city_wide:
        uploads = uploads.filter(uploaded_by=user)
    return list(uploads.order_by("-uploaded_at", "-pk")[:limit])


def upload_get(*, user, pk: int) -> FigureUpload:
    """One upload: its uploader's, or any for the head office and auditors; 404 otherwise."""
    upload = FigureUpload.objects.select_related("uploaded_by").filter(pk=pk).first()
    if upload is None or not (user.is_city_wide or upload.uploaded_by_id == user.pk):
        raise Http404
    return upload


def figure_values_at(*, scopes: list[str], date: datetime.date) -> dict[tuple[str, str], Decimal]:
    """(indicator code, scope) → the current imported figure of the latest date not after `date`."""
    rows = (
        ImportedFigure.objects.filter(superseded_by__isnull=True, scope__in=scopes, period__lte=date)
        .order_by("indicator_id", "scope", "-period")
        .values_list("indicator__code", "scope", "value")
    )
    values: dict[tuple[str, str], Decimal] = {}
    for code, scope, value in rows:
        values.setdefault((code, scope), value)
    return values


# ---------------------------------------------------------------- branch annual plans


@dataclass(frozen=True)
class CityTarget:
    value: Decimal | None
    year: int | None
    note: str


def branch_indicators() -> list[Indicator]:
    return [i for i in catalogue() if "branch" in i.scopes]


def city_targets(year: int) -> dict[int, CityTarget]:
    """indicator id → the city target that applies in the year (the year's, else the next one, as the KPIs)."""
    plan = plan_for_year(Plan.objects.all(), year)
    if plan is None:
        return {}
    by_indicator: dict[int, list[Target]] = {}
    for target in Target.objects.filter(plan=plan, scope="city"):
        by_indicator.setdefault(target.indicator_id, []).append(target)
    chosen = {pk: target_for_year(targets, year) for pk, targets in by_indicator.items()}
    return {pk: CityTarget(t.value, t.year, t.note) for pk, t in chosen.items() if t is not None}


def branch_get(*, user, code: str) -> Branch:
    """A branch the user sees: any for city-wide users, the own one for its manager; 404 otherwise."""
    branch = Branch.objects.filter(code=code).first()
    own = branch is not None and user.has_role(roles.BRANCH_MANAGER) and user.branch_id == branch.pk
    if branch is None or not (user.is_city_wide or own):
        raise Http404
    return branch


def branches_visible(*, user) -> list[Branch]:
    branches = Branch.objects.order_by("code")
    if not user.is_city_wide:
        branches = branches.filter(pk=user.branch_id) if user.has_role(roles.BRANCH_MANAGER) else branches.none()
    return list(branches)


def branch_targets(*, branches: list[Branch], year: int) -> dict[tuple[int, int], BranchTarget]:
    """(branch id, indicator id) → the branch's target of the year."""
    targets = BranchTarget.objects.filter(branch__in=branches, year=year).select_related("entered_by")
    return {(t.branch_id, t.indicator_id): t for t in targets}


def plan_years() -> list[int]:
    years = set()
    for start, end in Plan.objects.values_list("start_year", "end_year"):
        years.update(range(start, end + 1))
    return sorted(years)


def branch_actuals(*, user, branches: list[Branch], date: datetime.date) -> tuple[dict[tuple[int, str], Decimal], bool]:
    """(branch id, indicator code) → the actual value as of `date` (``kpi_values`` at ``branch:CODE``: the
    platform's part plus the imported figure), and whether those were available; where the KPI reads refuse
    the branch scope, the branch's current imported figures stand in."""
    actuals: dict[tuple[int, str], Decimal] = {}
    try:
        for branch in branches:
            for row in kpi_values(user=user, scope=f"branch:{branch.code}", date=date):
                if row.value is not None:
                    actuals[(branch.pk, row.code)] = row.value
    except ApiError:  # a KPI module without the branch scope
        figures = figure_values_at(scopes=[f"branch:{b.code}" for b in branches], date=date)
        by_scope = {f"branch:{b.code}": b.pk for b in branches}
        return {(by_scope[scope], code): value for (code, scope), value in figures.items()}, False
    return actuals, True


def value_shown(value: Decimal | None, unit: str, *, wan: bool = False) -> str:
    """A stored value as reports print it: 85.30%, 1,234,567.89 (yuan; ``wan``: in 万元, 123.46), 12,345
    (counts); '' for none."""
    if value is None:
        return ""
    if unit == Indicator.Unit.PERCENT:
        return f"{value * 100:,.2f}%"
    if unit == Indicator.Unit.YUAN:
        return f"{value / 10_000:,.2f}" if wan else f"{value:,.2f}"
    return f"{value:,.0f}"
