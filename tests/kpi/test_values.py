"""Internal indicator values (kpi.selectors / kpi.measures): each recomputed here the plain way, from the list of
events the fixture made (drawdowns, repayments, a reversal) and the rows it wrote, equals the platform's value
exactly; balances as of past dates from the ledger; imported parts added; the branch scope; fixed query count."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit.ledger import LegSpec, journal_post
from puhui.credit.models import Account, CreditLine, Journal, Loan
from puhui.credit.services import journal_reverse, line_activate, line_drawdown, line_repay
from puhui.households.models import Household, Person
from puhui.kpi import measures, selectors
from puhui.kpi.models import Designation, DesignationRun, ImportedFigure, Indicator, ServicePoint
from puhui.org import roles
from puhui.org.models import Branch, Grid, Township, Village
from tests.kpi.fixtures import campaign, populate

D = datetime.date
CAP = 30_000_000
LOAN_CODES = ("DK1", "DK3", "DK4", "DK4C", "DK5", "DK5C", "DK7", "DK8", "QD2")


@dataclass
class Drawn:
    """What the test knows of a loan, without asking the platform."""

    village: Village
    household: int
    principal: int
    drawn_on: datetime.date
    channel: str
    purpose_kind: str
    low_income: bool
    pk: int = 0
    reversed_on: datetime.date | None = None


@dataclass
class Book:
    loans: list[Drawn]
    moves: list[tuple[datetime.date, int, int]]  # (date, loan index, principal change)


def _household(village: Village, number: str, *, low_income=False) -> tuple[Household, Person]:
    household = Household.objects.create(
        village=village, grid=village.grids.first(), number=number, is_low_income=low_income
    )
    return household, Person.objects.create(household=household, relation="head", name="户主" + number)


def _line(world, village, number, *, low_income=False) -> CreditLine:
    household, head = _household(village, number, low_income=low_income)
    return line_activate(
        user=world.users[roles.BRANCH_MANAGER],
        household=household,
        borrower=head,
        limit_fen=30_000_000,
        grade="AA",
        rate=Decimal("4.35"),
        start_date=D(2018, 3, 1),
    )


@pytest.fixture
def book(world) -> Book:
    """Loans made through the money services on three business dates, one reversed, repayments; and one loan
    above the 300,000 cut-off posted straight to the ledger (a migrated loan: the services refuse such a limit)."""
    user = world.users[roles.ACCOUNT_MANAGER]
    loans: list[Drawn] = []
    moves: list[tuple[datetime.date, int, int]] = []

    def draw(line, amount, channel, kind="general"):
        loan = line_drawdown(user=user, line_id=line.pk, amount_fen=amount, channel=channel)
        Loan.objects.filter(pk=loan.pk).update(purpose_kind=kind)
        household = line.household
        loans.append(
            Drawn(household.village, household.pk, amount, loan.drawn_on, channel, kind, household.is_low_income)
        )
        loans[-1].pk = loan.pk
        moves.append((loan.drawn_on, len(loans) - 1, amount))
        return len(loans) - 1

    def repay(line, index, amount):  # no end of day has run: no interest, a repayment is all principal
        line_repay(user=user, line_id=line.pk, amount_fen=amount, channel="counter")
        moves.append((business_date_current(), index, -amount))

    business_date_set(business_date=D(2018, 3, 1))
    a = _line(world, world.village_mine, "A", low_income=True)
    b = _line(world, world.village_other, "B")
    c = _line(world, world.village_out, "C", low_income=True)
    e = _line(world, world.village_mine, "E")
    a1 = draw(a, 5_000_000, "mobile", "home_improvement")
    b1 = draw(b, CAP, "counter")
    draw(c, 12_000_000, "online", "industry_chain")
    business_date_set(business_date=D(2018, 4, 10))
    repay(a, a1, 2_000_000)
    e1 = draw(e, 1_000_000, "field", "industry_chain")
    business_date_set(business_date=D(2018, 4, 12))
    journal = Journal.objects.get(kind=Journal.Kind.DRAWDOWN, legs__loan_id=loans[e1].pk)
    journal_reverse(user=world.users[roles.HEAD_OFFICE], journal_id=journal.pk)
    loans[e1].reversed_on = D(2018, 4, 12)
    moves.append((D(2018, 4, 12), e1, -1_000_000))
    business_date_set(business_date=D(2018, 6, 1))
    repay(b, b1, CAP)
    draw(a, 500_000, "agent")
    big = Loan.objects.create(
        line=c,
        principal_fen=CAP + 1,
        outstanding_principal_fen=CAP + 1,
        rate=Decimal("4.35"),
        drawn_on=D(2018, 5, 2),
        maturity=D(2019, 5, 2),
        channel="mobile",
        rate_scaled=4_350_000,
        penalty_rate_scaled=6_525_000,
        created_by=user,
    )
    journal_post(
        kind=Journal.Kind.DRAWDOWN,
        business_date=D(2018, 5, 2),
        legs=[
            LegSpec(Account.Code.LOAN_PRINCIPAL, CAP + 1, big.pk),
            LegSpec(Account.Code.CUSTOMER_SETTLEMENT, -CAP - 1),
        ],
    )
    loans.append(Drawn(world.village_out, c.household_id, CAP + 1, D(2018, 5, 2), "mobile", "general", True, big.pk))
    moves.append((D(2018, 5, 2), len(loans) - 1, CAP + 1))
    return Book(loans, moves)


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def expected_loans(book: Book, villages: list[Village], date: datetime.date) -> dict[str, Decimal | None]:
    """The loan indicators the plain way: replay the moves up to the date."""
    inside = [i for i, loan in enumerate(book.loans) if loan.village in villages]
    balance = {i: sum(change for day, j, change in book.moves if j == i and day <= date) for i in inside}
    drawn = [
        i
        for i in inside
        if book.loans[i].drawn_on <= date and not (book.loans[i].reversed_on and book.loans[i].reversed_on <= date)
    ]
    small = [i for i in drawn if book.loans[i].principal <= CAP]

    def total(indexes):
        return yuan(sum(balance[i] for i in indexes))

    def customers(indexes):
        return Decimal(len({book.loans[i].household for i in indexes if balance[i] > 0}))

    return {
        "DK1": total(inside),
        "DK3": yuan(sum(book.loans[i].principal for i in drawn if book.loans[i].low_income)),
        "DK4": total([i for i in inside if book.loans[i].principal <= CAP]),
        "DK4C": customers([i for i in inside if book.loans[i].principal <= CAP]),
        "DK5": total(inside),
        "DK5C": customers(inside),
        "DK7": total([i for i in inside if book.loans[i].purpose_kind == "home_improvement"]),
        "DK8": total([i for i in inside if book.loans[i].purpose_kind == "industry_chain"]),
        "QD2": share(len([i for i in small if book.loans[i].channel in ("mobile", "online")]), len(small)),
    }


DATES = [D(2017, 12, 31), D(2018, 3, 1), D(2018, 4, 11), D(2018, 4, 12), D(2018, 5, 2), D(2018, 6, 1), D(2019, 1, 1)]


@pytest.mark.parametrize("date", DATES)
def test_loan_indicators_equal_the_replayed_events(world, book, date):
    everything = list(Village.objects.all())
    scopes = [
        everything,
        [world.village_mine],
        [world.village_other],
        [world.village_out],
        list(Village.objects.filter(township__branch=world.branch_in)),
    ]
    for villages in scopes:
        got = selectors.internal_values(villages=Village.objects.filter(pk__in=[v.pk for v in villages]), date=date)
        assert {code: got[code] for code in LOAN_CODES} == expected_loans(book, villages, date), (date, villages)


def test_the_fixture_is_not_trivial(world, book):
    city = expected_loans(book, list(Village.objects.all()), D(2018, 5, 2))
    assert city["DK1"] != city["DK4"] and city["DK4C"] < city["DK5C"] + 1 and city["DK7"] and city["DK8"]
    assert city["DK3"] == yuan(5_000_000 + 12_000_000 + CAP + 1)
    later = expected_loans(book, list(Village.objects.all()), D(2018, 6, 1))
    assert later["DK5C"] < city["DK5C"]  # household B paid its loan off
    assert expected_loans(book, [world.village_mine], D(2018, 4, 11))["DK8"] == yuan(1_000_000)
    assert expected_loans(book, [world.village_mine], D(2018, 4, 12))["DK8"] == 0  # the reversed drawdown


@pytest.mark.parametrize("date", [D(2018, 6, 1), D(2019, 1, 1)])
def test_current_outstanding_equals_the_ledger_from_the_business_date_on(world, book, date):
    assert business_date_current() == D(2018, 6, 1)
    villages = Village.objects.all()
    stored = measures.rollup(measures.village_figures(villages=villages, date=date, current=True))
    ledger = measures.rollup(measures.village_figures(villages=villages, date=date, current=False))
    for name in (*measures.LOAN_SUMS, *measures.CUSTOMERS):
        assert stored[name] == ledger[name], name
    assert stored["dk1"] > 0


# ---- designations, service points: XY1–XY3 and JC1 --------------------------------------------------------


@pytest.fixture
def places(world):
    """A second township of the inside branch, an urban community, households, designation periods and service
    points with edge dates."""
    township2 = Township.objects.create(bank=world.bank, branch=world.branch_in, code="330781103", name="黄店镇")
    far = Village.objects.create(
        township=township2, code="330781103201", name="芝堰村", registered_population=100, registered_households=3
    )
    urban = Village.objects.create(
        township=world.township_in,
        code="330781102001",
        name="诸葛社区",
        is_rural=False,
        registered_population=50,
        registered_households=20,
    )
    for village in (far, urban):
        Grid.objects.create(village=village, code=f"{village.code}-01", name="第1网格")
    households = {
        v.code: [_household(v, f"{v.code[-3:]}-{i}")[0] for i in range(n)]
        for v, n in ((world.village_mine, 6), (world.village_other, 2), (far, 5), (urban, 3))
    }
    run = DesignationRun.objects.create(as_of=D(2018, 1, 1), trigger="yearly")

    def period(since, until=None, **subject):
        level = next(iter(subject))
        Designation.objects.create(level=level, since=since, until=until, granted_run=run, **subject)

    mine = households[world.village_mine.code]
    period(D(2018, 1, 1), household=mine[0])
    period(D(2018, 1, 1), D(2018, 7, 1), household=mine[1])  # lost on 2018-07-01: held up to 06-30
    period(D(2018, 7, 1), household=mine[2])  # gained on 2018-07-01
    for h in households[far.code][:4]:  # far has 5 households on the platform, 3 registered: 4 of 5
        period(D(2018, 1, 1), household=h)
    period(D(2018, 1, 1), household=households[urban.code][0])  # urban: not among rural households
    period(D(2018, 1, 1), village=far)
    period(D(2018, 1, 1), D(2018, 7, 1), village=world.village_mine)
    period(D(2018, 1, 1), township=township2)
    ServicePoint.objects.create(village=world.village_mine, kind="atm", name="ATM", active_from=D(2018, 2, 1))
    ServicePoint.objects.create(
        village=world.village_other, kind="pos", name="POS", active_from=D(2018, 1, 1), active_until=D(2018, 6, 30)
    )
    ServicePoint.objects.create(village=urban, kind="outlet", name="网点", active_from=D(2017, 1, 1))
    ServicePoint.objects.create(village=far, kind="assist_terminal", name="助农", active_from=D(2018, 7, 2))
    return world


def expected_designations(villages: list[Village], date: datetime.date) -> dict[str, Decimal | None]:
    def holds(d):
        return d.since <= date and (d.until is None or d.until > date)

    rural = [v for v in villages if v.is_rural]
    households = sum(max(v.registered_households, Household.objects.filter(village=v).count()) for v in rural)
    credit_households = [
        d for d in Designation.objects.filter(level="household") if holds(d) and d.household.village in rural
    ]
    credit_villages = [d for d in Designation.objects.filter(level="village") if holds(d) and d.village in rural]
    townships = {v.township_id for v in villages}
    credit_townships = [
        d for d in Designation.objects.filter(level="township") if holds(d) and d.township_id in townships
    ]
    served = [
        v
        for v in rural
        if any(
            p.active_from <= date and (p.active_until is None or p.active_until >= date) for p in v.service_points.all()
        )
    ]
    return {
        "XY1": share(len(credit_households), households),
        "XY2": share(len(credit_villages), len(rural)),
        "XY3": share(len(credit_townships), len(townships)),
        "JC1": share(len(served), len(rural)),
    }


@pytest.mark.parametrize(
    "date", [D(2017, 12, 31), D(2018, 1, 31), D(2018, 2, 1), D(2018, 6, 30), D(2018, 7, 1), D(2018, 7, 2)]
)
def test_designation_and_service_point_indicators(places, date):
    everything = list(Village.objects.all())
    scopes = [everything, [places.village_mine], list(Village.objects.filter(township=places.township_in))]
    scopes += [
        list(Village.objects.filter(township__branch=places.branch_in)),
        [Village.objects.get(code="330781102001")],
    ]
    for villages in scopes:
        got = selectors.internal_values(villages=Village.objects.filter(pk__in=[v.pk for v in villages]), date=date)
        assert {code: got[code] for code in ("XY1", "XY2", "XY3", "JC1")} == expected_designations(villages, date)


def test_designation_fixture_edges(places):
    city = {
        d: selectors.internal_values(villages=Village.objects.all(), date=d) for d in (D(2018, 6, 30), D(2018, 7, 1))
    }
    # rural households: 900 + 600 + 500 registered + max(3 registered, 5 on the platform) = 2005
    assert city[D(2018, 6, 30)]["XY1"] == share(2 + 4, 2005)
    assert city[D(2018, 7, 1)]["XY1"] == share(2 + 4, 2005)  # one lost, one gained that day
    assert city[D(2018, 6, 30)]["XY2"] == share(2, 4) and city[D(2018, 7, 1)]["XY2"] == share(1, 4)
    assert city[D(2018, 6, 30)]["XY3"] == share(1, 3)
    assert city[D(2018, 6, 30)]["JC1"] == share(2, 4) and city[D(2018, 7, 1)]["JC1"] == share(1, 4)
    urban = selectors.internal_values(villages=Village.objects.filter(code="330781102001"), date=D(2018, 7, 1))
    assert urban["JC1"] is None and urban["XY1"] is None  # an urban community has no 行政村 to count


# ---- imported parts, source, the API ----------------------------------------------------------------------


def _figure(world, code, scope, period, value, *, superseded_by=None):
    return ImportedFigure.objects.create(
        indicator=Indicator.objects.get(code=code),
        scope=scope,
        period=period,
        value=Decimal(value),
        source_system="core_banking",
        entered_by=world.users[roles.HEAD_OFFICE],
        superseded_by=superseded_by,
    )


def test_imported_part_is_added_and_imported_only_stands_alone(world, book, api_client):
    newer = _figure(world, "DK1", "city", D(2018, 4, 30), "1000000.00")
    _figure(world, "DK1", "city", D(2018, 4, 30), "999.00", superseded_by=newer)  # a corrected figure
    _figure(world, "DK1", "city", D(2018, 3, 31), "500000.00")
    _figure(world, "DK1", "city", D(2018, 7, 31), "7.00")  # after the date
    _figure(world, "DK1", "branch:LX07", D(2018, 4, 30), "20.00")
    _figure(world, "DK2", "city", D(2018, 5, 31), "9600000000.00")
    selectors.catalogue()
    client = api_client(world.users[roles.HEAD_OFFICE])
    rows = {r["code"]: r for r in client.get("/api/v1/kpis", {"scope": "city", "date": "2018-06-01"}).json()}
    internal = expected_loans(book, list(Village.objects.all()), D(2018, 6, 1))["DK1"]
    assert rows["DK1"]["value"] == f"{internal + Decimal('1000000'):.2f}"
    assert rows["DK1"]["source"] == "internal+imported"
    assert rows["DK2"] == rows["DK2"] | {"value": "9600000000.00", "source": "imported", "met": True}
    assert rows["DK6"]["value"] is None and rows["DK6"]["met"] is None
    assert rows["DK5"]["value"] == f"{internal:.2f}"  # no imported DK5: the internal part alone
    assert rows["XY1"]["source"] == "internal" and rows["XY1"]["unit"] == "percent"
    branch = {r["code"]: r for r in client.get("/api/v1/kpis", {"scope": "branch:LX07", "date": "2018-06-01"}).json()}
    inside = list(Village.objects.filter(township__branch=world.branch_in))
    assert branch["DK1"]["value"] == f"{expected_loans(book, inside, D(2018, 6, 1))['DK1'] + 20:.2f}"
    assert "XY3" not in branch and "ZC1" in branch and "DK4C" in branch


# ---- the branch scope -------------------------------------------------------------------------------------


def test_branch_scope_is_head_office_auditor_and_own_branch_manager(world, api_client):
    from puhui.org.services import role_groups_ensure  # noqa: F401  (groups exist through the world fixture)
    from tests.conftest import make_user

    outsider = make_user("branch2", roles.BRANCH_MANAGER, branch=world.branch_out)
    for user, scope, status in [
        (world.users[roles.HEAD_OFFICE], "branch:LX07", 200),
        (world.users[roles.AUDITOR], "branch:LX06", 200),
        (world.users[roles.BRANCH_MANAGER], "branch:LX07", 200),
        (world.users[roles.BRANCH_MANAGER], "branch:LX06", 404),
        (world.users[roles.BRANCH_MANAGER], "branch:NOPE", 404),
        (outsider, "branch:LX07", 404),
        (outsider, "branch:LX06", 200),
        (world.users[roles.ACCOUNT_MANAGER], "branch:LX07", 404),
        (world.users[roles.LIAISON], "branch:LX07", 404),
    ]:
        response = api_client(user).get("/api/v1/kpis", {"scope": scope, "date": "2018-06-01"})
        assert response.status_code == status, (user, scope)
    bad = api_client(world.users[roles.HEAD_OFFICE]).get("/api/v1/kpis", {"scope": "branch:a b"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_scope"
    assert Branch.objects.count() == 2


def test_branch_values_are_its_townships(world, api_client):
    head = world.users[roles.HEAD_OFFICE]
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(world.village_out, D(2017, 5, 1), head)
    populate(world, world.village_mine, world.grid_mine, 12, prefix="M", start=D(2017, 7, 3))
    populate(world, world.village_out, world.village_out.grids.get(), 7, prefix="X", start=D(2017, 8, 1))
    rows = {r.code: r.value for r in selectors.kpi_values(user=head, scope="branch:LX07", date=D(2018, 6, 30))}
    township = {
        r.code: r.value for r in selectors.kpi_values(user=head, scope="township:330781102", date=D(2018, 6, 30))
    }
    assert {code: rows[code] for code in ("ZC1", "ZC2", "ZC3", "ZC4", "QD2")} == {
        code: township[code] for code in ("ZC1", "ZC2", "ZC3", "ZC4", "QD2")
    }
    city = {r.code: r.value for r in selectors.kpi_values(user=head, scope="city", date=D(2018, 6, 30))}
    assert any(city[code] != rows[code] for code in ("ZC2", "ZC3", "ZC4", "QD2"))  # the outside branch counts there


# ---- query count ------------------------------------------------------------------------------------------


def _count(user, scope, date) -> int:
    with CaptureQueriesContext(connection) as context:
        selectors.kpi_values(user=user, scope=scope, date=date)
    return len(context.captured_queries)


@pytest.mark.parametrize("scope", ["city", "branch:LX07", "township:330781102", "village:330781102201"])
@pytest.mark.parametrize("date", [D(2018, 6, 30), D(2030, 1, 1)])  # a past date (the ledger), the current one
def test_query_count_is_fixed(world, django_assert_num_queries, scope, date):
    head = world.users[roles.HEAD_OFFICE]
    business_date_set(business_date=D(2030, 1, 1))
    campaign(world.village_mine, D(2017, 5, 1), head)
    populate(world, world.village_mine, world.grid_mine, 10, prefix="A", start=D(2017, 7, 3))
    selectors.kpi_values(user=head, scope=scope, date=date)  # the user's roles, read once and kept
    small = _count(head, scope, date)
    populate(world, world.village_mine, world.grid_mine, 200, prefix="B", start=D(2017, 7, 3))
    populate(world, world.village_out, world.village_out.grids.get(), 50, prefix="C", start=D(2017, 7, 3))
    assert Household.objects.count() == 260
    with django_assert_num_queries(small):
        selectors.kpi_values(user=head, scope=scope, date=date)
    assert small <= 14
