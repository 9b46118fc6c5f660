"""Geography in the API: villages and townships within the caller's scope."""

from ninja import Query, Router, Schema
from pydantic import Field

from puhui.core.api import ErrorOut, require_staff
from puhui.org import selectors

router = Router(tags=["geography"])


class VillageOut(Schema):
    code: str
    name: str
    township_code: str
    is_rural: bool
    households: int
    population: int


class VillageFilter(Schema):
    township: str | None = Field(None, pattern=r"^\d{9}$", description="9-digit township code")


class TownshipOut(Schema):
    code: str
    name: str
    branch: str


def _village_out(village) -> dict:
    return {
        "code": village.code,
        "name": village.name,
        "township_code": village.township.code,
        "is_rural": village.is_rural,
        "households": village.registered_households,
        "population": village.registered_population,
    }


@router.get("/villages", response={200: list[VillageOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def villages(request, filters: Query[VillageFilter]):
    """Villages in your scope, optionally of one township (404 for a township outside your scope)."""
    require_staff(request)
    if filters.township is not None:
        selectors.township_get(user=request.user, code=filters.township)
    return [_village_out(v) for v in selectors.village_list(user=request.user, township_code=filters.township)]


@router.get("/villages/{code}", response={200: VillageOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def village(request, code: str):
    """One village (404 when it does not exist or lies outside your scope)."""
    require_staff(request)
    return _village_out(selectors.village_get(user=request.user, code=code))


@router.get("/townships", response={200: list[TownshipOut], 401: ErrorOut, 403: ErrorOut})
def townships(request):
    """Townships in your scope."""
    require_staff(request)
    return [
        {"code": t.code, "name": t.name, "branch": t.branch.name} for t in selectors.township_list(user=request.user)
    ]
