"""Plan indicators in the API (API.md): GET /api/v1/kpis, staff in scope only. Besides the scopes API.md lists
(city, township:CODE, village:CODE), ``branch:CODE`` answers for the head office, auditors and that branch's manager."""

from decimal import Decimal

from ninja import Query, Router, Schema
from pydantic import Field

from puhui.core import selectors as core_selectors
from puhui.core.api import ErrorOut, require_staff
from puhui.kpi import selectors
from puhui.kpi.models import Indicator

router = Router(tags=["kpi"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
PLACES = {Indicator.Unit.PERCENT: 4, Indicator.Unit.YUAN: 2}


class KpiFilter(Schema):
    scope: str = Field(max_length=30)
    date: str | None = Field(None, max_length=10)


class KpiOut(Schema):
    code: str
    name: str
    value: str | None
    unit: str
    target: str | None
    target_year: int | None
    met: bool | None
    source: str
    as_of: str


def number_text(number: Decimal | None, unit: str) -> str | None:
    """Percent as a fraction with 4 decimals ("0.9123"), money with 2 ("1500000000.00"), counts whole."""
    if number is None:
        return None
    return f"{number:.{PLACES.get(unit, 0)}f}"


@router.get("/kpis", response={200: list[KpiOut], **ERRORS})
def kpi_list(request, filters: Query[KpiFilter]):
    """考核指标: each indicator of the scope's level with its value as of the date and the plan target."""
    require_staff(request)
    date = selectors.kpi_date_parse(filters.date, core_selectors.business_date_current)
    rows = selectors.kpi_values(user=request.user, scope=filters.scope, date=date)
    return [
        {
            "code": row.code,
            "name": row.name,
            "value": number_text(row.value, row.unit),
            "unit": row.unit,
            "target": number_text(row.target, row.unit),
            "target_year": row.target_year,
            "met": row.met,
            "source": row.source,
            "as_of": row.as_of.isoformat(),
        }
        for row in rows
    ]
