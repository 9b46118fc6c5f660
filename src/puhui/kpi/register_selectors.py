"""Reads of the service-point register and designations pages, in the user's scope (a fixed number of queries)."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from puhui.kpi.designations import reason_text
from puhui.kpi.models import Designation, DesignationRun, ServicePoint
from puhui.org.models import Township, Village

HISTORY_LIMIT = 200


def service_point_register(*, user, township: Township | None, date: datetime.date) -> list[Village]:
    """The villages in scope (of one township, or all) with their service points, each marked active or not on
    the date, and ``served`` when at least one is."""
    villages = Village.objects.visible_to(user).select_related("township").order_by("code")
    if township is not None:
        villages = villages.filter(township=township)
    villages = list(
        villages.prefetch_related(
            Prefetch("service_points", queryset=ServicePoint.objects.order_by("kind", "name"), to_attr="points")
        )
    )
    for village in villages:
        for point in village.points:
            point.active = point.active_from <= date and (point.active_until is None or point.active_until >= date)
        village.served = any(point.active for point in village.points)
    return villages


def service_point_counts(villages: list[Village]) -> dict[str, int]:
    rural = [v for v in villages if v.is_rural]
    return {
        "villages": len(villages),
        "rural": len(rural),
        "rural_served": sum(1 for v in rural if v.served),
        "points": sum(len(v.points) for v in villages),
    }


@dataclass(frozen=True)
class LostPeriod:
    period: Designation
    reasons: list[str]


@dataclass(frozen=True)
class DesignationOverview:
    villages: QuerySet  # current 信用村 in scope
    townships: QuerySet  # current 信用乡镇 in scope
    households: int  # current 信用户 in scope
    history: list[LostPeriod]  # village periods that ended, latest first
    runs: QuerySet


def designation_overview(*, user) -> DesignationOverview:
    villages = Village.objects.visible_to(user)
    current = Designation.objects.filter(until__isnull=True)
    lost = (
        Designation.objects.filter(level=Designation.Level.VILLAGE, until__isnull=False, village__in=villages)
        .select_related("village__township")
        .order_by("-until", "village__code")[:HISTORY_LIMIT]
    )
    return DesignationOverview(
        villages=current.filter(level=Designation.Level.VILLAGE, village__in=villages)
        .select_related("village__township")
        .order_by("village__code"),
        townships=current.filter(level=Designation.Level.TOWNSHIP, township__in=Township.objects.visible_to(user))
        .select_related("township")
        .order_by("township__code"),
        households=current.filter(level=Designation.Level.HOUSEHOLD, household__village__in=villages).count(),
        history=[LostPeriod(p, [reason_text(r) for r in p.lost_reasons]) for p in lost],
        runs=DesignationRun.objects.select_related("run_by").order_by("-as_of", "-run_at")[:10],
    )
