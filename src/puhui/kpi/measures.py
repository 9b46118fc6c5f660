"""The counts and sums behind the internal plan indicators, per village, in a fixed number of grouped queries.

Every internal indicator is a ratio of sums or a sum over villages, so one grouped pass per source table gives
each village's figures; a scope (city, township, branch, village) adds up its villages' figures. The dashboard
values (``selectors.kpi_values``) and the end-of-day snapshot (``snapshots.kpi_snapshot_take``) share this code,
so a snapshot is exactly what the page showed that day.

Loan balances as of a date (DK1, DK4, DK5, DK7, DK8 and their customers): a loan stores only its current
outstanding principal, so

- on or after the current business date the balance *is* the stored outstanding principal (every posting is
  dated by the business date, none can be later than it; end of day takes its snapshot before it advances);
- before it, the balance is the sum of the loan's legs on the loan-principal account (1301) posted on or before
  the date: drawdowns debit it, repayments and reversals credit it — the books, exactly, reversals included.

Every platform loan is an unsecured credit loan to a farmer household, so DK1 and DK5 share the balance; DK4 is
the balance of loans of at most 300,000 yuan principal; a customer (DK4C, DK5C) is a household with a balance
above zero; DK3 is the principal drawn since 2016-01-01 by households flagged low-income (today's flag). XY3
counts the townships of the scope's villages (a township with no village on the platform has nothing to
designate). Loans counted by drawdown (QD2, DK3) leave out a drawdown reversed (冲正) on or before the date: a
reversed drawdown never was a loan.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from puhui.core.selectors import business_date_current
from puhui.credit.models import Account, CreditLine, Journal, Leg, Loan
from puhui.deliberation.models import Campaign, RoundHousehold
from puhui.households.models import Household, Person
from puhui.households.selectors import rate
from puhui.kpi.models import Designation, ServicePoint
from puhui.org.models import Village

SELF_SERVICE_CHANNELS = (Loan.Channel.MOBILE, Loan.Channel.ONLINE)
SMALL_LOAN_MAX_FEN = 30_000_000  # 30 万元: the plan's small-loan cut-off (QD2, DK4) and the credit ceiling
GRANTED_STATUSES = (CreditLine.Status.ACTIVE, CreditLine.Status.FROZEN)
LOW_INCOME_FROM = datetime.date(2016, 1, 1)  # DK3 counts loans to low-income households since the plan began
INTERNAL_CODES = (
    "ZC1", "ZC2", "ZC3", "ZC4", "XY1", "XY2", "XY3", "DK1", "DK3", "DK4", "DK4C", "DK5", "DK5C", "DK7", "DK8",
    "QD2", "JC1",
)  # fmt: skip
LOAN_SUMS = ("dk1", "dk4", "dk7", "dk8")
CUSTOMERS = ("dk4c", "dk5c")


@dataclass
class VillageFigures:
    """One village, where it belongs, and its counts and fen sums (``measures``)."""

    pk: int
    code: str
    township_id: int
    township_code: str
    branch_id: int
    branch_code: str
    credit_township: bool
    measures: Counter = field(default_factory=Counter)


def covering(date: datetime.date, prefix: str = "") -> Q:
    """A designation period that holds on the date: since ≤ date < until (until is the day it was lost)."""
    return Q(**{f"{prefix}since__lte": date}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": date})
    )


def service_point_active(date: datetime.date) -> Q:
    """Active on the date: from active_from through active_until, both days included."""
    return Q(active_from__lte=date) & (Q(active_until__isnull=True) | Q(active_until__gte=date))


def village_figures(*, villages: QuerySet, date: datetime.date, current: bool | None = None) -> list[VillageFigures]:
    """Every village of the queryset with its figures as of the date; `current` says whether the date is on or
    after the business date (read from the database when None)."""
    if current is None:
        current = date >= business_date_current()
    ids = villages.values("pk")
    rows = {row.pk: row for row in _villages(ids, date)}
    launched = {pk for pk, row in rows.items() if row.measures["launched"]}

    def add(name: str, pairs: Iterable[tuple[int, int]], only: set[int] | None = None) -> None:
        for pk, number in pairs:
            if pk in rows and (only is None or pk in only):
                rows[pk].measures[name] += int(number or 0)

    collected = Person.objects.filter(is_collected=True, household__village__in=ids)
    add("collected", _grouped(collected, "household__village_id", Count("pk")), launched)
    evaluated = RoundHousehold.objects.filter(round__opened_on__lte=date, household__village__in=ids)
    add("evaluated", _grouped(evaluated, "household__village_id", Count("household_id", distinct=True)), launched)
    granted = CreditLine.objects.filter(status__in=GRANTED_STATUSES, start_date__lte=date, household__village__in=ids)
    add("granted", _grouped(granted, "household__village_id", Count("household_id", distinct=True)), launched)
    rural = {pk for pk, row in rows.items() if row.measures["rural_villages"]}
    credit = Designation.objects.filter(covering(date), level=Designation.Level.HOUSEHOLD, household__village__in=ids)
    add("credit_households", _grouped(credit, "household__village_id", Count("household_id", distinct=True)), rural)
    for name, pairs in _loan_figures(ids, date, current).items():
        add(name, pairs)
    return list(rows.values())


def _grouped(queryset: QuerySet, key: str, aggregate) -> list[tuple[int, int]]:
    return list(queryset.order_by().values(key).annotate(n=aggregate).values_list(key, "n"))


def _villages(ids: QuerySet, date: datetime.date) -> Iterable[VillageFigures]:
    """One row per village: register figures, campaign launched, service point active, designations held."""
    profiled = (
        Household.objects.filter(village=OuterRef("pk"))
        .order_by()
        .values("village")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Village.objects.filter(pk__in=ids)
        .annotate(
            launched=Exists(Campaign.objects.filter(village=OuterRef("pk"), launched_on__lte=date)),
            served=Exists(ServicePoint.objects.filter(service_point_active(date), village=OuterRef("pk"))),
            credit_village=Exists(
                Designation.objects.filter(covering(date), level=Designation.Level.VILLAGE, village=OuterRef("pk"))
            ),
            credit_township=Exists(
                Designation.objects.filter(
                    covering(date), level=Designation.Level.TOWNSHIP, township=OuterRef("township_id")
                )
            ),
            profiled=Coalesce(Subquery(profiled, output_field=IntegerField()), 0),
        )
        .values_list(
            "pk",
            "code",
            "township_id",
            "township__code",
            "township__branch_id",
            "township__branch__code",
            "is_rural",
            "registered_population",
            "registered_households",
            "launched",
            "served",
            "credit_village",
            "credit_township",
            "profiled",
        )  # fmt: skip
        .order_by("code")
    )
    for pk, code, township, township_code, branch, branch_code, is_rural, population, registered, *flags in rows:
        launched, served, credit_village, credit_township, profiled_count = flags
        households = max(registered, profiled_count)  # never fewer than the households on the platform
        yield VillageFigures(
            pk=pk,
            code=code,
            township_id=township,
            township_code=township_code,
            branch_id=branch,
            branch_code=branch_code,
            credit_township=bool(credit_township),
            measures=Counter(
                villages=1,
                rural=int(is_rural),
                launched=int(launched),
                rural_launched=int(is_rural and launched),
                population=population if launched else 0,
                households=registered if launched else 0,
                rural_villages=int(is_rural),
                rural_households=households if is_rural else 0,
                credit_villages=int(is_rural and credit_village),
                served_villages=int(is_rural and served),
            ),
        )


def _reversed_drawdowns(date: datetime.date) -> QuerySet:
    """The loans whose drawdown journal was reversed on or before the date."""
    return Leg.objects.filter(
        journal__kind=Journal.Kind.REVERSAL,
        journal__business_date__lte=date,
        journal__reverses__kind=Journal.Kind.DRAWDOWN,
        account__code=Account.Code.LOAN_PRINCIPAL,
        loan__isnull=False,
    ).values("loan_id")


def _loan_figures(ids: QuerySet, date: datetime.date, current: bool) -> dict[str, list[tuple[int, int]]]:
    """QD2 and DK3 by drawdown; balances and customers from the loans (current) or the ledger (past dates)."""
    small = Q(principal_fen__lte=SMALL_LOAN_MAX_FEN)
    drawn = Q(drawn_on__lte=date)
    sums = {
        "small_loans": Count("pk", filter=drawn & small),
        "small_self_service": Count("pk", filter=drawn & small & Q(channel__in=SELF_SERVICE_CHANNELS)),
        "dk3": Sum("principal_fen", filter=Q(drawn_on__gte=LOW_INCOME_FROM) & drawn),  # × low income, per line
    }
    if current:
        sums |= {
            "dk1": Sum("outstanding_principal_fen", filter=drawn),
            "dk4": Sum("outstanding_principal_fen", filter=drawn & small),
            "dk7": Sum("outstanding_principal_fen", filter=drawn & Q(purpose_kind=Loan.PurposeKind.HOME_IMPROVEMENT)),
            "dk8": Sum("outstanding_principal_fen", filter=drawn & Q(purpose_kind=Loan.PurposeKind.INDUSTRY_CHAIN)),
        }
    lines = Loan.objects.exclude(pk__in=_reversed_drawdowns(date)).order_by().values("line_id").annotate(**sums)
    figures = _by_village(lines, ids, list(sums), CUSTOMER_BALANCES if current else {})
    if not current:
        figures |= _ledger_balances(ids, date)
    return figures


# a household is a customer (DK5C, DK4C) when its balance (all loans, small loans) is above zero
CUSTOMER_BALANCES = {"dk5c": "dk1", "dk4c": "dk4"}
LINE, HOUSEHOLD = CreditLine._meta.db_table, Household._meta.db_table


def _by_village(lines: QuerySet, ids: QuerySet, sums: list[str], customers: dict[str, str]) -> dict[str, list]:
    """Add up a query grouped per credit line (``line_id``) by village, counting the households whose balance
    is above zero and weighting DK3 by the household's low-income flag.

    Grouping the loans by their line first needs no join over the loans (the biggest table): only the lines'
    sums meet the households."""
    inner, params = lines.query.sql_with_params()
    within, village_params = ids.query.sql_with_params()
    columns = [
        f"COALESCE(SUM(CASE WHEN h.is_low_income THEN t.{name} ELSE 0 END), 0)"
        if name == "dk3"
        else f"COALESCE(SUM(t.{name}), 0)"
        for name in sums
    ]
    columns += [f"COUNT(DISTINCT CASE WHEN t.{balance} > 0 THEN l.household_id END)" for balance in customers.values()]
    # the names are this module's constants and Django's compiled queries; every value is a parameter
    sql = (
        f"SELECT h.village_id, {', '.join(columns)} FROM ({inner}) t"  # noqa: S608
        f" JOIN {LINE} l ON l.id = t.line_id JOIN {HOUSEHOLD} h ON h.id = l.household_id"
        f" WHERE h.village_id IN ({within}) GROUP BY h.village_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *village_params))
        rows = cursor.fetchall()
    names = [*sums, *customers]
    return {name: [(row[0], int(row[i + 1])) for row in rows] for i, name in enumerate(names)}


def _ledger_balances(ids: QuerySet, date: datetime.date) -> dict[str, list[tuple[int, int]]]:
    """Per village: the principal balances as of the date from the ledger's principal legs, and the customers."""
    small = Q(loan__principal_fen__lte=SMALL_LOAN_MAX_FEN)
    lines = (
        Leg.objects.filter(account__code=Account.Code.LOAN_PRINCIPAL, journal__business_date__lte=date)
        .order_by()
        .values(line_id=F("loan__line_id"))
        .annotate(
            dk1=Sum("amount_fen"),
            dk4=Sum("amount_fen", filter=small),
            dk7=Sum("amount_fen", filter=Q(loan__purpose_kind=Loan.PurposeKind.HOME_IMPROVEMENT)),
            dk8=Sum("amount_fen", filter=Q(loan__purpose_kind=Loan.PurposeKind.INDUSTRY_CHAIN)),
        )
    )
    return _by_village(lines, ids, list(LOAN_SUMS), CUSTOMER_BALANCES)


def rollup(villages: Iterable[VillageFigures]) -> Counter:
    """The figures of a set of villages added up, with its townships and how many are 信用乡镇."""
    total: Counter = Counter()
    townships: dict[int, bool] = {}
    for village in villages:
        total.update(village.measures)
        townships[village.township_id] = village.credit_township
    total["townships"] = len(townships)
    total["credit_townships"] = sum(townships.values())
    return total


def _yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _share(numerator: int, denominator: int) -> Decimal | None:
    return rate(numerator, denominator) if denominator else None


def indicator_values(total: Counter) -> dict[str, Decimal | None]:
    """The internal indicators from a scope's added-up figures (None: nothing to measure yet)."""
    has_launched = total["launched"] > 0
    return {
        "ZC1": _share(total["rural_launched"], total["rural"]),
        "ZC2": rate(total["collected"], total["population"]) if has_launched else None,
        "ZC3": rate(total["evaluated"], total["households"]) if has_launched else None,
        "ZC4": rate(total["granted"], total["households"]) if has_launched else None,
        "XY1": _share(total["credit_households"], total["rural_households"]),
        "XY2": _share(total["credit_villages"], total["rural_villages"]),
        "XY3": _share(total["credit_townships"], total["townships"]),
        "DK1": _yuan(total["dk1"]),
        "DK3": _yuan(total["dk3"]),
        "DK4": _yuan(total["dk4"]),
        "DK4C": Decimal(total["dk4c"]),
        "DK5": _yuan(total["dk1"]),  # every platform loan is a credit loan to a farmer household
        "DK5C": Decimal(total["dk5c"]),
        "DK7": _yuan(total["dk7"]),
        "DK8": _yuan(total["dk8"]),
        "QD2": _share(total["small_self_service"], total["small_loans"]),
        "JC1": _share(total["served_villages"], total["rural_villages"]),
    }
