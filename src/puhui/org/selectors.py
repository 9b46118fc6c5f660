"""Reads of the organisation and geography, always through the user's scope."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from puhui.org.models import Grid, Township, Village


def village_list(*, user, township_code: str | None = None) -> QuerySet[Village]:
    villages = Village.objects.visible_to(user).select_related("township").order_by("code")
    if township_code is not None:
        villages = villages.filter(township__code=township_code)
    return villages


def village_get(*, user, code: str) -> Village:
    if not (len(code) == 12 and code.isascii() and code.isdigit()):
        raise Http404
    village = Village.objects.visible_to(user).select_related("township__branch").filter(code=code).first()
    if village is None:
        raise Http404
    return village


def township_get(*, user, code: str) -> Township:
    if not (len(code) == 9 and code.isascii() and code.isdigit()):
        raise Http404
    township = Township.objects.visible_to(user).filter(code=code).first()
    if township is None:
        raise Http404
    return township


def township_list(*, user) -> QuerySet[Township]:
    return Township.objects.visible_to(user).select_related("branch").order_by("code")


def township_summaries(*, user) -> list[dict]:
    """Per visible township: villages, grids and register figures within the user's scope."""
    villages = Village.objects.visible_to(user)
    rows = (
        villages.values("township__code", "township__name", "township__branch__name")
        .annotate(
            villages=Count("pk"),
            population=Sum("registered_population"),
            households=Sum("registered_households"),
        )
        .order_by("township__code")
    )
    grids = dict(
        Grid.objects.visible_to(user)
        .values("village__township__code")
        .annotate(n=Count("pk"))
        .values_list("village__township__code", "n")
    )
    return [{**row, "grids": grids.get(row["township__code"], 0)} for row in rows]


@dataclass(frozen=True)
class ScopeSummary:
    townships: int
    villages: int
    grids: int
    population: int
    households: int


def scope_summary(*, user) -> ScopeSummary:
    villages = Village.objects.visible_to(user).aggregate(
        villages=Count("pk"),
        townships=Count("township", distinct=True),
        population=Sum("registered_population"),
        households=Sum("registered_households"),
    )
    return ScopeSummary(
        townships=villages["townships"],
        villages=villages["villages"],
        grids=Grid.objects.visible_to(user).count(),
        population=villages["population"] or 0,
        households=villages["households"] or 0,
    )
