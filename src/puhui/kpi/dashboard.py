"""Reads of the leadership dashboard (考核评估): each indicator beside its target with a state and a projection,
the trend from the end-of-day snapshots, townships ranked on ZC1–ZC4, and the drill-down to the households
behind a gap. Set-based: every read is a fixed number of queries whatever the number of households.

The rules the page states (and the tests pin):
- **met**: the value meets the target (≥ a floor, ≤ a ceiling).
- **at risk**: not met, but within ``AT_RISK_MARGIN`` of the target (10 % of the target by default: a floor
  of 80 % is at risk from 72 %), or the projection meets the target by its year's end.
- **behind**: neither. **no figure**: no value or no target yet.
- **projection**: the pace is the change from the earliest snapshot of the last ``PROJECTION_WINDOW_DAYS`` days
  (at least ``PROJECTION_MIN_SPAN_DAYS`` before the date) to today's value, per day; the projection is today's
  value plus that pace times the days left to 31 December of the target year, kept within 0–100 % for rates and
  at or above zero for amounts. No projection without such a snapshot or once the target year is over.
Both numbers can be changed in the settings (``PUHUI_KPI_AT_RISK_MARGIN``, ``PUHUI_KPI_PROJECTION_DAYS``).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from puhui.core.ids import mask_name_public
from puhui.credit.models import CreditLine
from puhui.deliberation.models import Campaign, Proposal, RoundHousehold
from puhui.households.models import Household, Person
from puhui.households.selectors import rate
from puhui.kpi import selectors as kpi_selectors
from puhui.kpi.models import Indicator, KpiSnapshot, Plan, Target
from puhui.org.models import Township, Village

AT_RISK_MARGIN = Decimal(str(getattr(settings, "PUHUI_KPI_AT_RISK_MARGIN", "0.10")))
PROJECTION_WINDOW_DAYS = int(getattr(settings, "PUHUI_KPI_PROJECTION_DAYS", 90))
# The pages read the last end-of-day snapshot when it is at most this many days old (yesterday's close on a
# working day): a county's figures from one small table instead of a pass over a million loans. Without one
# (a fresh installation, dates before the first snapshot) they compute the figures live.
SNAPSHOT_FRESH_DAYS = int(getattr(settings, "PUHUI_KPI_SNAPSHOT_FRESH_DAYS", 7))
PROJECTION_MIN_SPAN_DAYS = 7
ZC_CODES = ("ZC1", "ZC2", "ZC3", "ZC4")
LIST_LIMIT = 50  # households shown per gap list; the count says how many there are in all

MET, AT_RISK, BEHIND, NO_FIGURE = "met", "at_risk", "behind", "none"
STATE_LABELS = {
    MET: gettext_lazy("met"),
    AT_RISK: gettext_lazy("at risk"),
    BEHIND: gettext_lazy("behind"),
    NO_FIGURE: gettext_lazy("no figure yet"),
}
# DOMAIN §6 groups; an indicator belongs to the group of its code's two-letter prefix.
GROUPS = (
    ("ZC", gettext_lazy("Whole-village credit")),
    ("XY", gettext_lazy("Credit system and loans")),
    ("QD", gettext_lazy("Channels")),
    ("SB", gettext_lazy("Social-security cards")),
    ("JC", gettext_lazy("Basic financial services")),
)
SOURCE_LABELS = {
    Indicator.Source.INTERNAL: gettext_lazy("computed from the platform"),
    Indicator.Source.IMPORTED: gettext_lazy("imported monthly figures"),
    Indicator.Source.BOTH: gettext_lazy("platform and imported figures"),
}
PROPOSAL_ELIGIBLE = (
    Proposal.Status.PROPOSED,
    Proposal.Status.OBJECTED,
    Proposal.Status.SUBMITTED,
    Proposal.Status.APPROVED,
    Proposal.Status.SIGNED,
)


@dataclass(frozen=True)
class DashboardRow:
    code: str
    name: str
    unit: str
    comparison: str
    value: Decimal | None
    target: Decimal | None
    target_year: int | None
    source: str
    as_of: datetime.date
    state: str = NO_FIGURE
    gap: Decimal | None = None  # what is still missing to the target (0 once met)
    projection: Decimal | None = None

    @property
    def group(self) -> str:
        return group_of(self.code)

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))

    @property
    def value_text(self) -> str:
        return number_format(self.value, self.unit)

    @property
    def target_text(self) -> str:
        sign = "≤ " if self.comparison == Indicator.Comparison.AT_MOST else "≥ "
        return sign + number_format(self.target, self.unit) if self.target is not None else "—"

    @property
    def gap_text(self) -> str:
        return number_format(self.gap, self.unit)

    @property
    def projection_text(self) -> str:
        return number_format(self.projection, self.unit)

    @property
    def projection_meets(self) -> bool | None:
        return _meets(self.comparison, self.projection, self.target)


# ---- pure rules -------------------------------------------------------------------------------------------


GROUP_OF_PREFIX = {"ZC": "ZC", "XY": "XY", "DK": "XY", "QD": "QD", "SB": "SB", "JC": "JC"}


def group_of(code: str) -> str:
    return GROUP_OF_PREFIX.get(code[:2], "JC")


def number_format(value: Decimal | None, unit: str) -> str:
    """A figure as the page prints it: 91.2%, 15.00 亿元, 12.50 万元, 3,200 户."""
    if value is None:
        return "—"
    if unit == Indicator.Unit.PERCENT:
        return f"{value * 100:.1f}%"
    if unit == Indicator.Unit.YUAN:
        if abs(value) >= 100_000_000:
            return _("%(amount)s hundred million yuan") % {"amount": f"{value / 100_000_000:,.2f}"}
        if abs(value) >= 10_000:
            return _("%(amount)s ten thousand yuan") % {"amount": f"{value / 10_000:,.2f}"}
        return _("%(amount)s yuan") % {"amount": f"{value:,.0f}"}
    return f"{value:,.0f}"


def _meets(comparison: str, value: Decimal | None, target: Decimal | None) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target if comparison == Indicator.Comparison.AT_MOST else value >= target


def indicator_gap(comparison: str, value: Decimal | None, target: Decimal | None) -> Decimal | None:
    if value is None or target is None:
        return None
    shortfall = value - target if comparison == Indicator.Comparison.AT_MOST else target - value
    return max(shortfall, Decimal(0))


def indicator_state(
    comparison: str,
    value: Decimal | None,
    target: Decimal | None,
    projection: Decimal | None,
    margin: Decimal = AT_RISK_MARGIN,
) -> str:
    """met / at risk / behind / no figure, by the rule of the module docstring."""
    if value is None or target is None:
        return NO_FIGURE
    if _meets(comparison, value, target):
        return MET
    slack = abs(target) * margin
    within = value <= target + slack if comparison == Indicator.Comparison.AT_MOST else value >= target - slack
    if within or _meets(comparison, projection, target):
        return AT_RISK
    return BEHIND


def indicator_projection(
    *,
    unit: str,
    value: Decimal | None,
    date: datetime.date,
    earliest: tuple[datetime.date, Decimal] | None,
    target_year: int | None,
) -> Decimal | None:
    """Linear at the current pace: today's value + (change since the earliest snapshot per day) × days left."""
    if value is None or earliest is None or target_year is None:
        return None
    start, start_value = earliest
    span = (date - start).days
    left = (datetime.date(target_year, 12, 31) - date).days
    if span < PROJECTION_MIN_SPAN_DAYS or left < 0:
        return None
    projected = value + (value - start_value) * Decimal(left) / Decimal(span)
    if unit == Indicator.Unit.PERCENT:
        return min(max(projected, Decimal(0)), Decimal(1)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return max(projected, Decimal(0)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


# ---- indicator rows ---------------------------------------------------------------------------------------


def _earliest_snapshots(scope: str, date: datetime.date) -> dict[str, tuple[datetime.date, Decimal]]:
    """Per indicator code, the earliest snapshot with a value in the projection window (one query)."""
    window_start = date - datetime.timedelta(days=PROJECTION_WINDOW_DAYS)
    rows = (
        KpiSnapshot.objects.filter(scope=scope, date__gte=window_start, date__lt=date, value__isnull=False)
        .order_by("date")
        .values_list("indicator__code", "date", "value")
    )
    earliest: dict[str, tuple[datetime.date, Decimal]] = {}
    for code, day, value in rows:
        earliest.setdefault(code, (day, value))
    return earliest


def scope_values(*, user, scope: str, date: datetime.date) -> list[kpi_selectors.KpiValue]:
    """The scope's indicators as of the last end-of-day snapshot (see SNAPSHOT_FRESH_DAYS), else live."""
    area = kpi_selectors.kpi_scope_area(user=user, scope=scope)
    snapshot = kpi_selectors.kpi_snapshot_values(area=area, date=date, fresh_days=SNAPSHOT_FRESH_DAYS)
    if snapshot is None:
        return kpi_selectors.kpi_values(user=user, scope=scope, date=date)
    as_of, values = snapshot
    indicators = [i for i in kpi_selectors.catalogue() if area.level in i.scopes]
    return kpi_selectors.kpi_rows(area=area, indicators=indicators, values=values, date=date, as_of=as_of)


def dashboard_rows(*, user, scope: str, date: datetime.date) -> list[DashboardRow]:
    """The scope's indicators (scope_values) with each one's state, gap and projection."""
    values = scope_values(user=user, scope=scope, date=date)
    comparisons = dict(Indicator.objects.values_list("code", "comparison"))
    earliest = _earliest_snapshots(scope, date)
    rows = []
    for kpi in values:
        comparison = comparisons.get(kpi.code, Indicator.Comparison.AT_LEAST)
        projection = indicator_projection(
            unit=kpi.unit, value=kpi.value, date=kpi.as_of, earliest=earliest.get(kpi.code), target_year=kpi.target_year
        )
        rows.append(
            DashboardRow(
                code=kpi.code,
                name=kpi.name,
                unit=kpi.unit,
                comparison=comparison,
                value=kpi.value,
                target=kpi.target,
                target_year=kpi.target_year,
                source=kpi.source,
                as_of=kpi.as_of,
                state=indicator_state(comparison, kpi.value, kpi.target, projection),
                gap=indicator_gap(comparison, kpi.value, kpi.target),
                projection=projection,
            )
        )
    return rows


def rows_grouped(rows: list[DashboardRow]) -> list[dict]:
    """The rows under the DOMAIN §6 group headings, empty groups left out."""
    groups = []
    for key, label in GROUPS:
        members = [row for row in rows if row.group == key]
        if members:
            groups.append({"key": key, "label": str(label), "rows": members})
    return groups


def state_counts(rows: list[DashboardRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATE_LABELS, 0)
    for row in rows:
        counts[row.state] += 1
    return counts


# ---- whole-village indicators per township / per village --------------------------------------------------


def zc_grouped(*, villages: QuerySet, date: datetime.date, by: str) -> dict[int, dict[str, Decimal | None]]:
    """ZC1–ZC4 per township (``by="township_id"``) or per village (``by="pk"``), four grouped queries, with the
    definitions of ``kpi.selectors.internal_values`` (a test holds the two equal)."""
    launched = Exists(Campaign.objects.filter(village=OuterRef("pk"), launched_on__lte=date))
    area = {
        row[by]: row
        for row in Village.objects.filter(pk__in=villages.values("pk"))
        .annotate(has_campaign=launched)
        .values(by)
        .annotate(
            rural=Count("pk", filter=Q(is_rural=True)),
            rural_launched=Count("pk", filter=Q(is_rural=True, has_campaign=True)),
            launched=Count("pk", filter=Q(has_campaign=True)),
            population=Coalesce(Sum("registered_population", filter=Q(has_campaign=True)), 0),
            households=Coalesce(Sum("registered_households", filter=Q(has_campaign=True)), 0),
        )
    }
    launched_ids = Village.objects.filter(pk__in=villages.values("pk")).filter(launched).values("pk")
    key = "household__village__" + ("township_id" if by == "township_id" else "id")
    collected = _count_by(Person.objects.filter(is_collected=True, household__village__in=launched_ids), key)
    evaluated = _count_by(
        RoundHousehold.objects.filter(round__opened_on__lte=date, household__village__in=launched_ids), key, True
    )
    granted = _count_by(
        CreditLine.objects.filter(
            status__in=kpi_selectors.GRANTED_STATUSES, start_date__lte=date, household__village__in=launched_ids
        ),
        key,
        True,
    )
    result = {}
    for group, a in area.items():
        has_launched = a["launched"] > 0
        result[group] = {
            "ZC1": rate(a["rural_launched"], a["rural"]) if a["rural"] else None,
            "ZC2": rate(collected.get(group, 0), a["population"]) if has_launched else None,
            "ZC3": rate(evaluated.get(group, 0), a["households"]) if has_launched else None,
            "ZC4": rate(granted.get(group, 0), a["households"]) if has_launched else None,
        }
    return result


def _count_by(queryset: QuerySet, key: str, distinct_households: bool = False) -> dict[int, int]:
    counted = Count("household_id", distinct=True) if distinct_households else Count("pk")
    return dict(queryset.order_by().values(key).annotate(n=counted).values_list(key, "n"))


def zc_targets(rows: list[DashboardRow]) -> dict[str, dict]:
    """The ZC rows' targets and comparison, to judge a township's or village's figures by."""
    return {row.code: {"target": row.target, "comparison": row.comparison} for row in rows if row.code in ZC_CODES}


def _zc_cells(figures: dict, targets: dict) -> list[dict]:
    cells = []
    for code in ZC_CODES:
        value = figures.get(code)
        target = targets.get(code, {}).get("target")
        comparison = targets.get(code, {}).get("comparison", Indicator.Comparison.AT_LEAST)
        state = indicator_state(comparison, value, target, None)
        cells.append({"code": code, "value": value, "text": number_format(value, "percent"), "state": state})
    return cells


def township_ranking(
    *, user, date: datetime.date, targets: dict, rank_by: str = "ZC1", branch_id: int | None = None
) -> list[dict]:
    """The townships in the user's scope (of one branch if given) ranked on one of ZC1–ZC4 (highest first, no
    figure last)."""
    rank_by = rank_by if rank_by in ZC_CODES else "ZC1"
    villages = Village.objects.visible_to(user)
    townships = Township.objects.visible_to(user).select_related("branch").order_by("code")
    if branch_id is not None:
        villages = villages.filter(township__branch_id=branch_id)
        townships = townships.filter(branch_id=branch_id)
    townships = list(townships)
    figures = _zc_snapshot(townships, date) or zc_grouped(villages=villages, date=date, by="township_id")
    rows = [
        {
            "code": t.code,
            "name": t.name,
            "branch": t.branch.name if t.branch_id else "",
            "branch_code": t.branch.code if t.branch_id else "",
            "figures": figures.get(t.pk, {}),
            "cells": _zc_cells(figures.get(t.pk, {}), targets),
        }
        for t in townships
    ]
    rows.sort(key=lambda r: (r["figures"].get(rank_by) is None, -(r["figures"].get(rank_by) or 0), r["code"]))
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    return rows


def _zc_snapshot(townships: list[Township], date: datetime.date) -> dict[int, dict[str, Decimal | None]] | None:
    """ZC1–ZC4 of each township from the last end-of-day snapshot (one query), or None if it is not there whole."""
    since = date - datetime.timedelta(days=SNAPSHOT_FRESH_DAYS)
    rows = list(
        KpiSnapshot.objects.filter(
            scope__in=[f"township:{t.code}" for t in townships], indicator__code__in=ZC_CODES, date__range=(since, date)
        )
        .order_by("-date")
        .values_list("date", "scope", "indicator__code", "value")
    )
    if not rows:
        return None
    latest = rows[0][0]
    by_scope: dict[str, dict[str, Decimal | None]] = {}
    for day, scope, code, value in rows:
        if day == latest:
            by_scope.setdefault(scope, {})[code] = value
    figures = {t.pk: by_scope.get(f"township:{t.code}", {}) for t in townships}
    return figures if all(len(f) == len(ZC_CODES) for f in figures.values()) else None


def township_villages(*, villages: QuerySet, date: datetime.date, targets: dict) -> list[dict]:
    """A township's villages (those in scope) with ZC1–ZC4, lowest ZC4 first: where the gap is."""
    figures = zc_grouped(villages=villages, date=date, by="pk")
    rows = [
        {
            "code": v.code,
            "name": v.name,
            "launched": bool(figures.get(v.pk, {}).get("ZC2") is not None),
            "figures": figures.get(v.pk, {}),
            "cells": _zc_cells(figures.get(v.pk, {}), targets),
        }
        for v in villages.order_by("code")
    ]
    rows.sort(key=lambda r: (r["figures"].get("ZC4") is None, r["figures"].get("ZC4") or 0, r["code"]))
    return rows


def chart_rows(rows: list[dict]) -> dict:
    """Ranking or village rows as the bar chart reads them: names and one series per ZC code (strings)."""
    return {
        "names": [row["name"] for row in rows],
        "series": [{"code": code, "values": [_text(row["figures"].get(code)) for row in rows]} for code in ZC_CODES],
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# ---- trend ------------------------------------------------------------------------------------------------


def indicator_series(*, user, scope: str, code: str, date: datetime.date) -> dict | None:
    """One indicator's snapshots of the scope up to the date, with the plan target that applied on each date
    (a step line). None when the indicator is unknown. Four queries."""
    area = kpi_selectors.kpi_scope_area(user=user, scope=scope)
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None
    points = list(
        KpiSnapshot.objects.filter(scope=area.key, indicator=indicator, date__lte=date)
        .order_by("date")
        .values_list("date", "value")
    )
    scopes = {area.key, "city"} if indicator.unit == Indicator.Unit.PERCENT else {area.key}
    targets: dict[int, list[Target]] = {}
    own_scope: dict[int, bool] = {}
    for target in Target.objects.filter(indicator=indicator, scope__in=scopes).select_related("plan"):
        # the scope's own targets replace the city's, per plan (as kpi_values does)
        if target.scope == area.key and not own_scope.get(target.plan_id):
            targets[target.plan_id] = []
            own_scope[target.plan_id] = True
        if target.scope == area.key or not own_scope.get(target.plan_id):
            targets.setdefault(target.plan_id, []).append(target)
    plans = {target.plan_id: target.plan for group in targets.values() for target in group}
    return {
        "code": indicator.code,
        "name": indicator.name_en if (get_language() or "").startswith("en") else indicator.name_zh,
        "unit": indicator.unit,
        "dates": [day.isoformat() for day, _value in points],
        "values": [_text(value) for _day, value in points],
        "targets": [_text(_target_on(day, plans, targets)) for day, _value in points],
    }


def _target_on(day: datetime.date, plans: dict[int, Plan], targets: dict[int, list[Target]]) -> Decimal | None:
    plan = kpi_selectors.plan_for_year(plans.values(), day.year)
    if plan is None:
        return None
    target = kpi_selectors.target_for_year(targets.get(plan.pk, []), day.year)
    return target.value if target else None


# ---- the households behind a village's gap ----------------------------------------------------------------


def village_gap_households(*, user, village: Village, date: datetime.date) -> dict[str, dict]:
    """Three lists of a village's households in the user's scope, each its count and first ``LIST_LIMIT``:
    not yet collected (a member not collected, or the profile incomplete), not yet evaluated (in no
    deliberation round opened by the date), eligible but not granted (passed a round or holding a live
    proposal, but no active or frozen line). Six queries."""
    households = Household.objects.visible_to(user).filter(village=village)
    in_round = RoundHousehold.objects.filter(household=OuterRef("pk"), round__opened_on__lte=date)
    granted = CreditLine.objects.filter(
        household=OuterRef("pk"), status__in=kpi_selectors.GRANTED_STATUSES, start_date__lte=date
    )
    proposals = Proposal.objects.filter(household=OuterRef("pk"), status__in=PROPOSAL_ELIGIBLE)
    conditions = {
        "uncollected": Q(completeness__lt=100)
        | Exists(Person.objects.filter(household=OuterRef("pk"), is_collected=False)),
        "unevaluated": ~Exists(in_round),
        "ungranted": (Exists(in_round.filter(outcome=RoundHousehold.Outcome.PASSED)) | Exists(proposals))
        & ~Exists(granted),
    }
    members = Person.objects.filter(household=OuterRef("pk"))
    heads = members.filter(relation=Person.Relation.HEAD).values("name")[:1]
    lists = {}
    for key, condition in conditions.items():
        chosen = households.filter(condition)
        rows = chosen.annotate(
            head_name=Subquery(heads),
            proposal_id=Subquery(proposals.order_by("-pk").values("pk")[:1]),
            member_count=_count_subquery(members),
            collected_count=_count_subquery(members.filter(is_collected=True)),
        ).order_by("number")[:LIST_LIMIT]
        lists[key] = {"count": chosen.count(), "rows": [_household_row(h) for h in rows]}
    return lists


def _household_row(household: Household) -> dict:
    return {
        "pk": household.pk,
        "number": household.number,
        "head": mask_name_public(household.head_name or ""),
        "completeness": household.completeness,
        "collected": household.collected_count,
        "members": household.member_count,
        "missing": list(household.missing_items or [])[:3],
        "proposal_id": household.proposal_id,
    }


def _count_subquery(persons: QuerySet) -> Coalesce:
    counted = persons.order_by().values("household").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def village_campaign(village: Village) -> Campaign | None:
    return village.campaigns.order_by("-launched_on", "-pk").first()


# ---- the city overview, for the page and the benchmark ----------------------------------------------------


def dashboard_city_data(*, user, date: datetime.date, rank_by: str = "ZC1") -> dict:
    """Everything the city overview shows: indicator rows grouped, state counts, the township ranking with its
    chart data and the default trend series."""
    rows = dashboard_rows(user=user, scope="city", date=date)
    ranking = township_ranking(user=user, date=date, targets=zc_targets(rows), rank_by=rank_by)
    default_code = rows[0].code if rows else "ZC1"
    return {
        "scope": "city",
        "date": date,
        "rows": rows,
        "groups": rows_grouped(rows),
        "counts": state_counts(rows),
        "ranking": ranking,
        "ranking_chart": chart_rows(ranking),
        "rank_by": rank_by if rank_by in ZC_CODES else "ZC1",
        "trend": indicator_series(user=user, scope="city", code=default_code, date=date),
    }
