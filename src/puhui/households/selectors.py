"""Reads of households and coverage, always through the user's scope."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from puhui.households.models import Household, Person
from puhui.org import selectors as org_selectors
from puhui.org.models import Village

RATE_PLACES = Decimal("0.0001")
# ZC2 (persons collected / registered population) targets of the 2016–2020 plan; the KPI catalogue
# (plan indicators) owns them once it exists.
COLLECTION_TARGETS = ((2017, Decimal("0.90")), (2018, Decimal("0.90")), (2020, Decimal("0.95")))


def rate(numerator: int, denominator: int) -> Decimal:
    if not denominator:
        return Decimal("0.0000")
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def household_get(*, user, pk: int) -> Household:
    household = Household.objects.visible_to(user).select_related("village__township", "grid").filter(pk=pk).first()
    if household is None:
        raise Http404
    return household


def person_get(*, user, pk: int) -> Person:
    person = Person.objects.visible_to(user).select_related("household__village").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def household_search(*, user, village: Village, query: str = "", incomplete_only: bool = False) -> QuerySet[Household]:
    """Households of a village in scope, by name, 户编号 or the last 4 characters of an ID number."""
    households = Household.objects.visible_to(user).filter(village=village)
    query = query.strip()
    if query:
        condition = Q(number__icontains=query) | Q(members__name__icontains=query)
        if len(query) == 4:  # the last four characters of an ID number are shown in its mask
            condition |= Q(members__id_masked__endswith=query.upper())
        households = households.filter(condition).distinct()
    if incomplete_only:
        households = households.filter(completeness__lt=100)
    return households.order_by("number")


def village_collection(*, village: Village) -> dict:
    figures = Household.objects.filter(village=village).aggregate(
        collected=Coalesce(Sum("collected_persons"), 0),
        profiled=Count("pk"),
        complete=Count("pk", filter=Q(completeness=100)),
    )
    return {
        **figures,
        "population": village.registered_population,
        "households": village.registered_households,
        "collection_rate": rate(figures["collected"], village.registered_population),
    }


def village_progress(*, user, code: str) -> dict:
    """GET /api/v1/villages/{code}/progress (API.md): collection, evaluation (ZC3) and granting (ZC4)."""
    from puhui.deliberation.selectors import village_credit_progress

    village = org_selectors.village_get(user=user, code=code)
    figures = village_collection(village=village)
    credit = village_credit_progress(village)
    return {
        "code": village.code,
        "campaign_status": credit["campaign_status"],
        "collection_rate": f"{figures['collection_rate']:.4f}",
        "evaluation_rate": f"{rate(credit['evaluated_households'], village.registered_households):.4f}",
        "grant_rate": f"{rate(credit['granted_households'], village.registered_households):.4f}",
        "collected_persons": figures["collected"],
        "population": village.registered_population,
        "evaluated_households": credit["evaluated_households"],
        "granted_households": credit["granted_households"],
        "households": village.registered_households,
    }


SORTS = {
    "rate": ("collection_rate", "code"),
    "-rate": ("-collection_rate", "code"),
    "code": ("code",),
    "name": ("name", "code"),
    "missing": ("-incomplete", "code"),
}


def villages_coverage(*, user, township_code: str | None = None, sort: str = "rate") -> list[dict]:
    """Per village in scope: collected persons vs registered population, profiled and incomplete households."""
    villages = Village.objects.visible_to(user).select_related("township")
    if township_code:
        villages = villages.filter(township__code=township_code)
    counts = {
        row["village_id"]: row
        for row in Household.objects.filter(village__in=villages)
        .values("village_id")
        .annotate(
            collected=Coalesce(Sum("collected_persons"), 0),
            profiled=Count("pk"),
            incomplete=Count("pk", filter=Q(completeness__lt=100)),
        )
    }
    rows = []
    for village in villages:
        c = counts.get(village.pk, {"collected": 0, "profiled": 0, "incomplete": 0})
        rows.append(
            {
                "village": village,
                "code": village.code,
                "name": village.name,
                "collected": c["collected"],
                "profiled": c["profiled"],
                "incomplete": c["incomplete"],
                "collection_rate": rate(c["collected"], village.registered_population),
            }
        )
    keys = SORTS.get(sort, SORTS["rate"])
    for key in reversed(keys):
        name = key.lstrip("-")
        rows.sort(key=lambda r, n=name: r[n], reverse=key.startswith("-"))
    return rows


def households_with_head_and_size(households):
    """Each household with its head's name and member count (subqueries: the search joins members)."""
    members = Person.objects.filter(household=OuterRef("pk"))
    return households.annotate(
        head_name=Subquery(members.filter(relation=Person.Relation.HEAD).values("name")[:1]),
        member_count=Coalesce(
            Subquery(members.values("household").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
            0,
        ),
    )
