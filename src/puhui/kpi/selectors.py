"""Reads of the plan indicators: values computed from the platform's data as of a business date, set-based,
beside the plan target that applies (DOMAIN §6).

Scope strings: ``city`` (head office and auditors only), ``township:CODE`` (the villages of that township in
the user's scope: the whole township for its branch manager), ``village:CODE``. A place outside the user's
scope answers 404, as everywhere.

The figures use what the records date: campaigns by ``launched_on``, rounds by ``opened_on``, lines by
``start_date``, loans by ``drawn_on``. Statuses (line active/frozen) and collected persons are today's: the
end-of-day KPI snapshot keeps the figures of past dates.
"""

import datetime
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from puhui.core.errors import ApiError
from puhui.credit.models import CreditLine, Loan
from puhui.deliberation.models import Campaign, RoundHousehold
from puhui.households.models import Person
from puhui.households.selectors import rate
from puhui.kpi.models import Indicator, Plan, Target
from puhui.org import selectors as org_selectors
from puhui.org.models import Village

SCOPE_PATTERN = re.compile(r"^(?:city|township:\d{9}|village:\d{12})$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SELF_SERVICE_CHANNELS = (Loan.Channel.MOBILE, Loan.Channel.ONLINE)
SMALL_LOAN_MAX_FEN = 30_000_000  # 30 万元: the plan's QD2 cut-off and the credit ceiling
GRANTED_STATUSES = (CreditLine.Status.ACTIVE, CreditLine.Status.FROZEN)


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
    level: str  # city | township | village
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
    404 a township or village outside the user's scope."""
    if not isinstance(scope, str) or not SCOPE_PATTERN.match(scope):
        raise ApiError(
            400, "invalid_scope", _("The scope must be city, township:<9-digit code> or village:<12-digit code>.")
        )
    if scope == "city":
        if not user.is_city_wide:
            raise PermissionDenied
        return ScopeArea("city", scope, Village.objects.all())
    level, code = scope.split(":")
    if level == "township":
        township = org_selectors.township_get(user=user, code=code)
        return ScopeArea(level, scope, Village.objects.visible_to(user).filter(township=township))
    village = org_selectors.village_get(user=user, code=code)
    return ScopeArea(level, scope, Village.objects.filter(pk=village.pk))


def _launched(date: datetime.date):
    return Exists(Campaign.objects.filter(village=OuterRef("pk"), launched_on__lte=date))


def internal_values(*, villages: QuerySet, date: datetime.date) -> dict[str, Decimal | None]:
    """ZC1–ZC4 and QD2 over a set of villages, five aggregate queries whatever their size."""
    village_ids = villages.values("pk")
    area = (
        Village.objects.filter(pk__in=village_ids)
        .annotate(has_campaign=_launched(date))
        .aggregate(
            rural=Count("pk", filter=Q(is_rural=True)),
            rural_launched=Count("pk", filter=Q(is_rural=True, has_campaign=True)),
            launched=Count("pk", filter=Q(has_campaign=True)),
            population=Coalesce(Sum("registered_population", filter=Q(has_campaign=True)), 0),
            households=Coalesce(Sum("registered_households", filter=Q(has_campaign=True)), 0),
        )
    )
    launched_ids = Village.objects.filter(pk__in=village_ids).filter(_launched(date)).values("pk")
    collected = Person.objects.filter(is_collected=True, household__village__in=launched_ids).count()
    evaluated = (
        RoundHousehold.objects.filter(round__opened_on__lte=date, household__village__in=launched_ids)
        .values("household_id")
        .distinct()
        .count()
    )
    granted = (
        CreditLine.objects.filter(
            status__in=GRANTED_STATUSES, start_date__lte=date, household__village__in=launched_ids
        )
        .values("household_id")
        .distinct()
        .count()
    )
    loans = Loan.objects.filter(
        line__household__village__in=village_ids, drawn_on__lte=date, principal_fen__lte=SMALL_LOAN_MAX_FEN
    ).aggregate(total=Count("pk"), self_service=Count("pk", filter=Q(channel__in=SELF_SERVICE_CHANNELS)))
    has_launched = area["launched"] > 0
    return {
        "ZC1": rate(area["rural_launched"], area["rural"]) if area["rural"] else None,
        "ZC2": rate(collected, area["population"]) if has_launched else None,
        "ZC3": rate(evaluated, area["households"]) if has_launched else None,
        "ZC4": rate(granted, area["households"]) if has_launched else None,
        "QD2": rate(loans["self_service"], loans["total"]) if loans["total"] else None,
    }


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
                as_of=date,
            )
        )
    return rows
