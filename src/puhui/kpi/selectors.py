"""Reads of the plan indicators: values computed from the platform's data as of a business date, set-based,
beside the plan target that applies (DOMAIN §6).

Scope strings: ``city`` (head office and auditors only), ``township:CODE`` (the villages of that township in
the user's scope: the whole township for its branch manager), ``branch:CODE`` (the villages of the townships
the branch serves: head office, auditors and that branch's manager only), ``village:CODE``. A place outside the
user's scope answers 404, as everywhere.

The internal figures (``measures``) use what the records date: campaigns by ``launched_on``, rounds by
``opened_on``, lines by ``start_date``, loans by ``drawn_on``, balances by the ledger, service points by their
active dates, 信用户/信用村/信用乡镇 by their designation periods. Statuses (line active/frozen) and collected
persons are today's: the end-of-day KPI snapshot keeps the figures of past dates.

An indicator with source ``internal+imported`` is the internal part plus the imported figure (the part from
outside the platform, e.g. core-banking loans not on it): the latest current figure of the indicator and scope
with a period on or before the date. Source ``imported``: that figure alone, None without one.
"""

import datetime
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from puhui.core.errors import ApiError
from puhui.kpi.measures import (  # noqa: F401  (GRANTED_STATUSES … are read from here by the dashboard)
    GRANTED_STATUSES,
    SELF_SERVICE_CHANNELS,
    SMALL_LOAN_MAX_FEN,
    indicator_values,
    rollup,
    village_figures,
)
from puhui.kpi.models import ImportedFigure, Indicator, KpiSnapshot, Plan, Target
from puhui.org import roles
from puhui.org import selectors as org_selectors
from puhui.org.models import Branch, Village

SCOPE_PATTERN = re.compile(r"^(?:city|township:\d{9}|village:\d{12}|branch:[A-Za-z0-9_-]{1,20})$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class KpiValue:
    code: str
    name: str
    value: Decimal | None  # None: no figure yet (imported, or not computed yet)
    unit: str
    target: Decimal | None
    target_year: int | None
    met: bool | None
    source: str
    as_of: datetime.date


@dataclass(frozen=True)
class ScopeArea:
    level: str  # city | township | branch | village
    key: str  # the scope string, as targets name it
    villages: QuerySet


def kpi_date_parse(text: str | None, default: Callable[[], datetime.date]) -> datetime.date:
    if text is None or text == "":
        return default()
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid_date", _("The date must be a valid date written YYYY-MM-DD.")) from None


def kpi_scope_area(*, user, scope: str) -> ScopeArea:
    """The villages a scope string covers for this user: 400 malformed, 403 city for a non city-wide user,
    404 a township, branch or village outside the user's scope."""
    if not isinstance(scope, str) or not SCOPE_PATTERN.match(scope):
        raise ApiError(
            400,
            "invalid_scope",
            _("The scope must be city, township:<9-digit code>, branch:<branch code> or village:<12-digit code>."),
        )
    if scope == "city":
        if not user.is_city_wide:
            raise PermissionDenied
        return ScopeArea("city", scope, Village.objects.all())
    level, code = scope.split(":")
    if level == "township":
        township = org_selectors.township_get(user=user, code=code)
        return ScopeArea(level, scope, Village.objects.visible_to(user).filter(township=township))
    if level == "branch":
        return ScopeArea(level, scope, Village.objects.filter(township__branch=branch_get(user=user, code=code)))
    village = org_selectors.village_get(user=user, code=code)
    return ScopeArea(level, scope, Village.objects.filter(pk=village.pk))


def branch_get(*, user, code: str) -> Branch:
    """A branch as a KPI scope: the city-wide roles see every branch, a branch manager only their own."""
    own_branch = user.has_role(roles.BRANCH_MANAGER) and user.branch_id is not None
    if not (user.is_city_wide or own_branch):
        raise Http404
    branch = Branch.objects.filter(code=code).first()
    if branch is None or not (user.is_city_wide or branch.pk == user.branch_id):
        raise Http404
    return branch


def internal_values(*, villages: QuerySet, date: datetime.date) -> dict[str, Decimal | None]:
    """The internal indicators (``measures.INTERNAL_CODES``) over a set of villages, a fixed number of grouped
    queries whatever their size."""
    return indicator_values(rollup(village_figures(villages=villages, date=date)))


def imported_figures(*, scopes: Iterable[str], date: datetime.date) -> dict[tuple[int, str], Decimal]:
    """(indicator id, scope) → the latest current imported figure with a period on or before the date."""
    latest = (
        ImportedFigure.objects.filter(
            indicator=OuterRef("indicator"),
            scope=OuterRef("scope"),
            superseded_by__isnull=True,
            period__lte=date,
        )
        .order_by("-period")
        .values("period")[:1]
    )
    rows = ImportedFigure.objects.filter(
        scope__in=list(scopes), superseded_by__isnull=True, period__lte=date, period=Subquery(latest)
    ).values_list("indicator_id", "scope", "value")
    return {(indicator, scope): value for indicator, scope, value in rows}


def combined_value(indicator: Indicator, internal: Decimal | None, imported: Decimal | None) -> Decimal | None:
    """The indicator's value by its source: internal, imported, or their sum (the imported part may be absent)."""
    if indicator.source == Indicator.Source.IMPORTED:
        return imported
    if indicator.source == Indicator.Source.BOTH:
        if internal is None:
            return imported
        return internal if imported is None else internal + imported
    return internal


def plan_for_year(plans: Iterable[Plan], year: int) -> Plan | None:
    """The plan covering the year; after every plan the latest one, before every plan the first one."""
    plans = sorted(plans, key=lambda p: (p.start_year, p.end_year))
    covering = [p for p in plans if p.start_year <= year <= p.end_year]
    if covering:
        return covering[-1]
    earlier = [p for p in plans if p.end_year < year]
    if earlier:
        return max(earlier, key=lambda p: p.end_year)
    return plans[0] if plans else None


def target_for_year(targets: list[Target], year: int) -> Target | None:
    """The target of the year, else of the next later year with one, else the plan's last one."""
    if not targets:
        return None
    later = [t for t in targets if t.year >= year]
    if later:
        return min(later, key=lambda t: t.year)
    return max(targets, key=lambda t: t.year)


def target_met(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> bool | None:
    if value is None or target is None:
        return None
    if indicator.comparison == Indicator.Comparison.AT_MOST:
        return value <= target
    return value >= target


def catalogue() -> list[Indicator]:
    indicators = list(Indicator.objects.all())
    if not indicators:  # a flushed test database: the catalogue comes with a data migration
        loader = importlib.import_module("puhui.kpi.migrations.0002_plan_2016_2020")
        from django.apps import apps

        loader.load(apps, None)
        indicators = list(Indicator.objects.all())
    return indicators


def kpi_values(*, user, scope: str, date: datetime.date) -> list[KpiValue]:
    """GET /api/v1/kpis (API.md): every indicator meaningful at the scope's level, value beside target."""
    area = kpi_scope_area(user=user, scope=scope)
    indicators = [i for i in catalogue() if area.level in i.scopes]
    values = internal_values(villages=area.villages, date=date)
    imported = imported_figures(scopes=[area.key], date=date)
    combined = {i.code: combined_value(i, values.get(i.code), imported.get((i.pk, area.key))) for i in indicators}
    return kpi_rows(area=area, indicators=indicators, values=combined, date=date, as_of=date)


def kpi_snapshot_values(
    *, area: ScopeArea, date: datetime.date, fresh_days: int
) -> tuple[datetime.date, dict[str, Decimal | None]] | None:
    """The latest whole end-of-day snapshot of the scope on or before `date` and at most `fresh_days` older
    (every indicator of the level stored that day), as (its date, code → value); None if there is none."""
    indicators = [i for i in catalogue() if area.level in i.scopes]
    latest = (
        KpiSnapshot.objects.filter(scope=area.key, date__lte=date, date__gte=date - datetime.timedelta(days=fresh_days))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    if latest is None:
        return None
    stored = dict(KpiSnapshot.objects.filter(scope=area.key, date=latest).values_list("indicator__code", "value"))
    if any(i.code not in stored for i in indicators):  # not a day's whole snapshot (rows written by hand)
        return None
    return latest, stored


def kpi_rows(
    *, area: ScopeArea, indicators: list[Indicator], values: dict, date: datetime.date, as_of: datetime.date
) -> list[KpiValue]:
    """Each indicator's value beside the plan target of `date`'s year that applies to the scope."""
    plan = plan_for_year(Plan.objects.all(), date.year)
    targets: dict[tuple[int, str], list[Target]] = {}
    if plan is not None:
        for target in Target.objects.filter(plan=plan, scope__in={area.key, "city"}):
            targets.setdefault((target.indicator_id, target.scope), []).append(target)
    english = (get_language() or "").startswith("en")
    rows = []
    for indicator in indicators:
        own = targets.get((indicator.pk, area.key))
        if own is None and indicator.unit == Indicator.Unit.PERCENT:
            own = targets.get((indicator.pk, "city"))  # a rate target holds at every level; amounts do not
        target = target_for_year(own or [], date.year)
        value = values.get(indicator.code)
        target_value = target.value if target else None
        rows.append(
            KpiValue(
                code=indicator.code,
                name=indicator.name_en if english else indicator.name_zh,
                value=value,
                unit=indicator.unit,
                target=target_value,
                target_year=target.year if target else None,
                met=target_met(indicator, value, target_value),
                source=indicator.source,
                as_of=as_of,
            )
        )
    return rows
