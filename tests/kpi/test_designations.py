"""信用户 / 信用村 / 信用乡镇 evaluation (kpi.designations) against hand-worked villages, with the edges: exactly
70 % of households (met), an NPL ratio of exactly 5 % (not met), a rating exactly three years old (expired) and
one day younger (valid), exactly 50 % of villages (met); periods opened and closed with reasons; the rules row."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from puhui.core.selectors import singleton_row
from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine, Loan
from puhui.households.models import Household, Person
from puhui.kpi import selectors
from puhui.kpi.designations import DesignationRefused, designations_evaluate, reason_text
from puhui.kpi.models import Designation, DesignationRules, DesignationRun
from puhui.org import roles
from puhui.org.models import Grid, Township, Village

D = datetime.date
AS_OF = D(2019, 1, 1)
RATED = D(2018, 1, 1)


class Hands:
    """The hand-worked township 黄店镇 (T1) of four 行政村 and a 社区, ten households each."""

    def __init__(self, world):
        self.world = world
        self.user = world.users[roles.BRANCH_MANAGER]
        self.township = Township.objects.create(
            bank=world.bank, branch=world.branch_in, code="330781103", name="黄店镇"
        )
        self.villages = {name: self._village(name, i) for i, name in enumerate("ABCDE")}
        self.households = {
            name: Household.objects.bulk_create(
                [Household(village=v, grid=v.grids.get(), number=f"{name}{i}") for i in range(10)]
            )
            for name, v in self.villages.items()
        }

    def _village(self, name: str, i: int) -> Village:
        village = Village.objects.create(
            township=self.township,
            code=f"33078110320{i}",
            name=f"村{name}",
            is_rural=name != "E",
            registered_population=30,
            registered_households=10,
        )
        Grid.objects.create(village=village, code=f"{village.code}-01", name="第1网格")
        return village

    def line(self, village: str, index: int, *, grade="AA", start=RATED) -> CreditLine:
        household = self.households[village][index]
        head = Person.objects.create(household=household, relation="head", name=f"户主{household.number}")
        return CreditLine.objects.create(
            household=household,
            borrower=head,
            limit_fen=30_000_000,
            grade=grade,
            rate=Decimal("4.35"),
            start_date=start,
            end_date=D(start.year + 3, start.month, start.day),
        )

    def loan(self, line: CreditLine, outstanding: int, classification="normal") -> Loan:
        return Loan.objects.create(
            line=line,
            principal_fen=max(outstanding, 100),
            outstanding_principal_fen=outstanding,
            rate=Decimal("4.35"),
            drawn_on=line.start_date,
            maturity=D(line.start_date.year + 1, line.start_date.month, line.start_date.day),
            channel="counter",
            rate_scaled=4_350_000,
            penalty_rate_scaled=6_525_000,
            classification=classification,
            created_by=self.user,
        )


@pytest.fixture
def hands(world) -> Hands:
    h = Hands(world)
    # A: six plain 信用户, one rated a day less than three years ago (valid), one exactly three years ago
    # (expired), one with a loan in 关注, one without a line: 7 of 10 = exactly 70 %; no NPL → 信用村.
    a = [h.line("A", i) for i in range(6)]
    h.loan(a[0], 1_000_000)
    h.line("A", 6, grade="A", start=D(2016, 1, 2))
    h.line("A", 7, grade="AAA", start=D(2016, 1, 1))
    h.loan(h.line("A", 8), 0, "special_mention")
    # B: 7 信用户 and an NPL of exactly 5 % of the balance (50,000 of 1,000,000 fen) → not a 信用村.
    b = [h.line("B", i) for i in range(7)]
    h.loan(b[0], 950_000)
    h.loan(h.line("B", 7), 50_000, "substandard")
    # C: 6 信用户, 60 % → not a 信用村.
    c = [h.line("C", i) for i in range(6)]
    h.loan(c[0], 1_000_000)
    # D: 8 信用户 and an NPL just under 5 % (49,999 of 1,000,000) → 信用村.
    d = [h.line("D", i) for i in range(8)]
    h.loan(d[0], 950_001)
    h.loan(h.line("D", 8), 49_999, "doubtful")
    # E, a 社区: all ten rated, never a 信用村 (not a 行政村); its households still are 信用户.
    e = [h.line("E", i) for i in range(10)]
    h.loan(e[0], 10_000)
    # a line that starts after the evaluation date gives no rating yet
    h.line("C", 9, start=D(2019, 1, 2))
    return h


def held(level: str) -> set[int]:
    field = {"household": "household_id", "village": "village_id", "township": "township_id"}[level]
    return set(Designation.objects.filter(level=level, until__isnull=True).values_list(field, flat=True))


def test_hand_worked_first_evaluation(hands):
    run = designations_evaluate(user=hands.world.users[roles.HEAD_OFFICE], as_of=AS_OF, trigger="yearly")
    households = hands.households
    want = (
        [h.pk for h in households["A"][:7]]
        + [h.pk for h in households["B"][:7]]
        + [h.pk for h in households["C"][:6]]
        + [h.pk for h in households["D"][:8]]
        + [h.pk for h in households["E"]]
    )
    assert held("household") == set(want)
    assert held("village") == {hands.villages["A"].pk, hands.villages["D"].pk}
    # 黄店镇: 2 of its 4 行政村 (exactly 50 %), NPL 99,999 of 4,010,000 → 信用乡镇; the world's townships are not
    assert held("township") == {hands.township.pk}
    assert run.counts == {
        "household_held": 38,
        "household_gained": 38,
        "household_lost": 0,
        "village_held": 2,
        "village_gained": 2,
        "village_lost": 0,
        "township_held": 1,
        "township_gained": 1,
        "township_lost": 0,
    }
    assert run.trigger == "yearly" and run.as_of == AS_OF
    assert set(Designation.objects.values_list("since", flat=True)) == {AS_OF}


def test_second_evaluation_closes_with_reasons_and_keeps_what_still_holds(hands):
    head = hands.world.users[roles.HEAD_OFFICE]
    designations_evaluate(user=head, as_of=AS_OF)
    township_period = Designation.objects.get(township=hands.township, until__isnull=True)
    # half a year on: B's bad loan is paid off; two of D's 信用户 fall into 关注; A's 2016 rating has expired
    # (A drops to 60 %); C's line of 2019-01-02 rates its tenth household (C reaches 70 %)
    Loan.objects.filter(line__household=hands.households["B"][7]).update(outstanding_principal_fen=0)
    for household in hands.households["D"][1:3]:
        hands.loan(household.credit_lines.get(), 0, "special_mention")
    later = D(2019, 6, 1)
    run = designations_evaluate(user=head, as_of=later)
    assert held("village") == {hands.villages["B"].pk, hands.villages["C"].pk}
    for name in "AD":
        lost = Designation.objects.get(village=hands.villages[name])
        assert (lost.since, lost.until, lost.lost_run_id) == (AS_OF, later, run.pk)
        assert lost.lost_reasons == [{"code": "credit_household_share", "value": "60.00%", "limit": "70.00%"}]
    with translation.override("en"):
        assert reason_text(lost.lost_reasons[0]) == "信用户 share 60.00% is below 70.00%"
    household = Designation.objects.get(household=hands.households["D"][1])
    assert household.until == later and household.lost_reasons == [
        {"code": "loan_past_due", "value": "special_mention"}
    ]
    expired = Designation.objects.get(household=hands.households["A"][6])
    assert expired.lost_reasons == [{"code": "rating_expired", "value": "2016-01-02"}]
    assert Designation.objects.get(village=hands.villages["B"]).since == later
    # 黄店镇 still has exactly half of its 行政村: the same period goes on
    assert Designation.objects.get(township=hands.township, until__isnull=True).pk == township_period.pk
    assert run.counts["village_gained"] == 2 and run.counts["village_lost"] == 2
    assert run.counts["household_lost"] == 3 and run.counts["household_gained"] == 1
    assert run.counts["township_gained"] == run.counts["township_lost"] == 0


def test_lost_reasons_name_each_failed_rule(hands):
    head = hands.world.users[roles.HEAD_OFFICE]
    rules = singleton_row(DesignationRules)
    rules.village_min_credit_household_share = Decimal("0.6")
    rules.save()
    designations_evaluate(user=head, as_of=AS_OF)
    assert hands.villages["C"].pk in held("village")  # the rules row, not a literal, sets the share
    rules.household_min_grade = "AA"
    rules.save()
    Loan.objects.filter(line__household=hands.households["C"][0]).update(classification="substandard")
    run = designations_evaluate(user=head, as_of=AS_OF)
    village = Designation.objects.get(village=hands.villages["C"])
    assert village.lost_run_id == run.pk and village.until == AS_OF
    assert village.lost_reasons == [
        {"code": "credit_household_share", "value": "50.00%", "limit": "60.00%"},
        {"code": "npl_ratio", "value": "100.00%", "limit": "5.00%"},
    ]
    rated_a = Designation.objects.get(household=hands.households["A"][6])
    assert rated_a.lost_reasons == [{"code": "grade_below", "value": "A", "limit": "AA"}]
    with translation.override("en"):
        texts = [reason_text(r) for r in village.lost_reasons + rated_a.lost_reasons]
    assert texts[1] == "NPL ratio 100.00% is not below 5.00%" and texts[2] == "rating A is below grade AA"


def test_household_reasons(hands):
    # the two 2016 ratings hold in mid-2017; with one-year ratings nothing holds in 2019, and each says why
    rules = singleton_row(DesignationRules)
    designations_evaluate(user=None, as_of=D(2017, 6, 1))
    rules.rating_valid_years = 1
    rules.save()
    designations_evaluate(user=None, as_of=D(2019, 1, 1))
    expired = Designation.objects.get(household=hands.households["A"][7])
    assert expired.lost_reasons == [{"code": "rating_expired", "value": "2016-01-01"}]
    with translation.override("en"):
        assert reason_text(expired.lost_reasons[0]) == "the rating of 2016-01-01 has expired"
        assert reason_text({"code": "loan_past_due", "value": "substandard"}) == "a loan is in 次级"
        assert reason_text({"code": "no_rating"}) == "no credit rating"


def test_township_npl_limit_is_its_own(hands):
    rules = singleton_row(DesignationRules)
    rules.township_max_npl_ratio = Decimal("0.0249")  # 99,999 / 4,010,000 ≈ 2.49 %: not below
    rules.save()
    designations_evaluate(user=None, as_of=AS_OF)
    assert held("township") == set()
    assert held("village") == {hands.villages["A"].pk, hands.villages["D"].pk}


def test_an_earlier_date_than_the_last_run_is_refused(hands):
    designations_evaluate(user=None, as_of=AS_OF)
    before = (Designation.objects.count(), DesignationRun.objects.count())
    with pytest.raises(DesignationRefused) as refused:
        designations_evaluate(user=None, as_of=AS_OF - datetime.timedelta(days=1))
    assert refused.value.code == "before_last_run"
    assert (Designation.objects.count(), DesignationRun.objects.count()) == before
    designations_evaluate(user=None, as_of=AS_OF)  # the same date again is allowed and changes nothing
    assert Designation.objects.count() == before[0]


def test_indicators_read_the_periods(hands):
    head = hands.world.users[roles.HEAD_OFFICE]
    designations_evaluate(user=head, as_of=AS_OF)
    values = selectors.internal_values(villages=Village.objects.all(), date=D(2019, 3, 1))
    # rural households: 黄店镇 4 × 10, the world's 900 + 600 + 500; 信用户 in 行政村: 7 + 7 + 6 + 8
    assert values["XY1"] == (Decimal(28) / Decimal(2040)).quantize(Decimal("0.0001"))
    assert values["XY2"] == Decimal("0.2857")  # 2 of 7 行政村
    assert values["XY3"] == Decimal("0.3333")  # 1 of 3 townships
    before = selectors.internal_values(villages=Village.objects.all(), date=AS_OF - datetime.timedelta(days=1))
    assert (before["XY1"], before["XY2"], before["XY3"]) == (0, 0, 0)
    own = selectors.internal_values(villages=Village.objects.filter(pk=hands.villages["A"].pk), date=AS_OF)
    assert own["XY1"] == Decimal("0.7000")


def test_command(hands, capsys):
    business_date_set(business_date=AS_OF)
    call_command("designate", "--yearly")
    out = capsys.readouterr().out
    assert "2019-01-01" in out and "信用村 village: 2 (+2 / -0)" in out
    run = DesignationRun.objects.get()
    assert run.trigger == "yearly" and run.run_by == hands.world.users[roles.HEAD_OFFICE]
