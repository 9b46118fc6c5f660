"""背靠背公议 aggregation: hand cases for quorum, veto, median and score, then hypothesis properties."""

import math
import statistics
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.deliberation.aggregate import (
    DEFAULT_RULES,
    VETO_REFUSALS,
    Debt,
    Habit,
    Integrity,
    Outcome,
    Rules,
    Tally,
    Vote,
    aggregate,
    decide,
    median_fen,
    panel_score,
    round_half_up,
    tally,
    veto_code,
)

YUAN = 100
UNDECIDED, VETOED, PASSED = Outcome.UNDECIDED, Outcome.VETOED, Outcome.PASSED


def vote(yuan=50_000, integrity="good", habits=(), debt="none", high_interest=False, reasons=()) -> Vote:
    """A counted vote suggesting an amount in yuan (0 = refuse)."""
    return Vote(
        knows_household=True,
        integrity=integrity,
        debt=debt,
        suggested_fen=yuan * YUAN,
        habits=frozenset(habits),
        informal_high_interest=high_interest,
        refusal_reasons=tuple(reasons),
    )


def refuse(*reasons, **kwargs) -> Vote:
    return vote(0, reasons=reasons, **kwargs)


def abstain(**kwargs) -> Vote:
    """An abstention, possibly with content that must be ignored."""
    fields = {"integrity": None, "debt": None, "suggested_fen": 0} | kwargs
    return Vote(knows_household=False, **fields)


ABSTAIN = Vote.abstention()
GAMBLING, DRUGS = "gambling", "drugs"

# (id, votes, outcome, veto reasons, panel amount in fen)
CASES = [
    ("no votes at all", [], UNDECIDED, (), None),
    ("everyone abstains", [ABSTAIN] * 5, UNDECIDED, (), None),
    ("two counted votes are below quorum", [vote(), vote(), ABSTAIN, ABSTAIN], UNDECIDED, (), None),
    ("quorum exactly 3 passes", [vote(40_000), vote(50_000), vote(60_000)], PASSED, (), 5_000_000),
    ("quorum reached with abstainers beside", [ABSTAIN, vote(1_000), vote(2_000), vote(3_000)], PASSED, (), 200_000),
    ("below quorum even two drugs flags decide nothing", [vote(habits=[DRUGS])] * 2, UNDECIDED, (), None),
    ("1 refusal of 3 is exactly 1/3: no veto", [refuse(), vote(30_000), vote(50_000)], PASSED, (), 3_000_000),
    (
        "2 refusals of 6 is exactly 1/3: no veto, even median",
        [refuse(), refuse(), vote(10_000), vote(20_000), vote(30_000), vote(40_000)],
        PASSED,
        (),
        1_500_000,
    ),
    ("3 refusals of 9 is exactly 1/3: no veto", [refuse()] * 3 + [vote()] * 6, PASSED, (), 5_000_000),
    ("2 refusals of 5 is over 1/3", [refuse(), refuse(), vote(), vote(), vote()], VETOED, (VETO_REFUSALS,), None),
    ("3 refusals of 8 (0.375) is just over 1/3", [refuse()] * 3 + [vote()] * 5, VETOED, (VETO_REFUSALS,), None),
    ("4 refusals of 10 is over 1/3", [refuse()] * 4 + [vote()] * 6, VETOED, (VETO_REFUSALS,), None),
    ("everyone refuses", [refuse()] * 3, VETOED, (VETO_REFUSALS,), None),
    ("abstainers' refusals are not counted", [abstain()] * 5 + [vote()] * 3, PASSED, (), 5_000_000),
    ("2 gambling flags veto", [vote(habits=[GAMBLING])] * 2 + [vote()], VETOED, ("veto_gambling",), None),
    ("1 gambling flag does not veto", [vote(habits=[GAMBLING]), vote(), vote()], PASSED, (), 5_000_000),
    ("2 drugs flags veto", [vote(habits=[DRUGS])] * 2 + [vote()] * 3, VETOED, ("veto_drugs",), None),
    (
        "one drugs plus one gambling flag is no veto",
        [vote(habits=[DRUGS]), vote(habits=[GAMBLING]), vote()],
        PASSED,
        (),
        5_000_000,
    ),
    (
        "both habits on one vote count once each",
        [vote(habits=[DRUGS, GAMBLING]), vote(), vote()],
        PASSED,
        (),
        5_000_000,
    ),
    ("alcoholism by everyone is no veto", [vote(habits=["alcoholism", "other"])] * 3, PASSED, (), 5_000_000),
    (
        "abstainers' flags are not counted",
        [abstain(habits=frozenset([GAMBLING, DRUGS]))] * 3 + [vote(habits=[GAMBLING])] + [vote()] * 2,
        PASSED,
        (),
        5_000_000,
    ),
    (
        "every reason is listed, habits in Habit order then refusals",
        [refuse(habits=[DRUGS, GAMBLING])] * 2 + [refuse(), vote(habits=[GAMBLING]), vote(habits=[DRUGS]), vote()],
        VETOED,
        ("veto_gambling", "veto_drugs", VETO_REFUSALS),
        None,
    ),
    ("odd count: the middle value", [vote(80_000), vote(20_000), vote(50_000)], PASSED, (), 5_000_000),
    (
        "the median ignores outliers",
        [Vote(knows_household=True, integrity="good", debt="none", suggested_fen=1)] + [vote()] * 3 + [vote(300_000)],
        PASSED,
        (),
        5_000_000,
    ),
    (
        "even count: mean of the two middle values",
        [vote(30_000), vote(50_000), vote(80_000), refuse()],
        PASSED,
        (),
        4_000_000,
    ),
    (
        "even count: the half fen is rounded down",
        [
            Vote(knows_household=True, integrity="good", debt="none", suggested_fen=fen)
            for fen in (1_000_000, 1_000_001, 1_000_002, 5_000_000)
        ],
        PASSED,
        (),
        1_000_001,
    ),
]


@pytest.mark.parametrize(("votes", "outcome", "veto", "amount"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hand_cases(votes, outcome, veto, amount):
    result = aggregate(votes)
    assert (result.outcome, result.veto_reasons, result.panel_amount_fen) == (outcome, veto, amount)
    assert result.counted + result.abstentions == len(votes)
    assert result.counted == sum(v.knows_household for v in votes)


# (id, integrity of each counted vote, expected panel score as text: exact places shown)
SCORES = [
    ("all very good", ["very_good"] * 3, "30.00"),
    ("all poor", ["poor"] * 3, "0.00"),
    ("two poor one fair", ["fair", "poor", "poor"], "5.00"),
    ("80/3 rounds up", ["very_good", "good", "good"], "26.67"),
    ("70/3 rounds down", ["very_good", "good", "fair"], "23.33"),
    ("85/3", ["very_good", "very_good", "good"], "28.33"),
    ("70/6", ["good", "fair", "fair", "fair", "poor", "poor"], "11.67"),
    ("25/8 = 3.125 is rounded half up, not to even", ["good"] + ["poor"] * 7, "3.13"),
    ("75/8 = 9.375", ["good"] * 3 + ["poor"] * 5, "9.38"),
    ("four votes, exact", ["very_good", "good", "fair", "poor"], "17.50"),
]


@pytest.mark.parametrize(("integrities", "expected"), [c[1:] for c in SCORES], ids=[c[0] for c in SCORES])
def test_panel_score(integrities, expected):
    result = aggregate([vote(integrity=i) for i in integrities] + [ABSTAIN])
    assert str(result.panel_score) == expected
    assert panel_score([Integrity(i) for i in integrities]) == Decimal(expected)


def test_score_given_when_vetoed_but_not_when_undecided():
    vetoed = aggregate([vote(habits=[DRUGS], integrity="poor")] * 2 + [vote(integrity="very_good")])
    assert (vetoed.outcome, vetoed.panel_score, vetoed.panel_amount_fen) == (VETOED, Decimal("10.00"), None)
    undecided = aggregate([vote(integrity="very_good")] * 2)
    assert (undecided.outcome, undecided.panel_score, undecided.panel_amount_fen) == (UNDECIDED, None, None)


def test_score_places_are_configurable():
    rules = Rules(quorum=2, score_places=0)
    assert aggregate([vote(integrity="very_good"), vote(integrity="good")], rules).panel_score == Decimal(28)
    assert aggregate([vote(integrity="very_good"), vote(integrity="good"), vote()], rules).panel_score == Decimal(27)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(1, 8), 2, "0.13"),
        (Fraction(-1, 8), 2, "-0.13"),
        (Fraction(5, 2), 0, "3"),
        (Fraction(7, 2), 0, "4"),
        (Fraction(1, 3), 4, "0.3333"),
        (Fraction(0), 2, "0.00"),
    ],
)
def test_round_half_up(value, places, expected):
    assert str(round_half_up(value, places)) == expected


@pytest.mark.parametrize(
    ("votes", "count", "flagged"),
    [
        ([vote(high_interest=True), vote(), vote()], 1, False),
        ([vote(high_interest=True)] * 2 + [vote()], 2, True),
        ([vote(high_interest=True)] * 2, 2, True),  # reported even when undecided
        ([refuse(high_interest=True)] * 3, 3, True),  # and when vetoed
        ([abstain(informal_high_interest=True)] * 4 + [vote(high_interest=True)] * 3, 3, True),
        ([abstain(informal_high_interest=True)] * 4 + [vote(high_interest=True), vote(), vote()], 1, False),
    ],
)
def test_informal_high_interest_flag(votes, count, flagged):
    result = aggregate(votes)
    assert (result.high_interest_count, result.high_interest_flagged) == (count, flagged)


def test_tallies():
    votes = [
        refuse("赌博欠债", "无稳定收入", habits=[GAMBLING], debt="high"),
        refuse("无稳定收入", "无稳定收入", debt="high"),  # a reason repeated on one vote counts once
        refuse("常年外出", debt="little", habits=["other"]),
        vote(habits=["alcoholism", GAMBLING]),
        vote(),
        vote(),
        vote(),
        abstain(refusal_reasons=("不认识",), habits=frozenset([DRUGS]), debt="high"),
    ]
    result = aggregate(votes)
    assert (result.outcome, result.counted, result.abstentions, result.refusals) == (VETOED, 7, 1, 3)
    assert result.veto_reasons == ("veto_gambling", VETO_REFUSALS)  # 2 gambling flags; 3 of 7 refuse
    assert result.refusal_reasons == (("无稳定收入", 2), ("常年外出", 1), ("赌博欠债", 1))
    assert result.habit_flags == ((Habit.GAMBLING, 2), (Habit.DRUGS, 0), (Habit.ALCOHOLISM, 1), (Habit.OTHER, 1))
    assert result.debt_counts == ((Debt.NONE, 4), (Debt.LITTLE, 1), (Debt.HIGH, 2))
    assert (result.flags(Habit.GAMBLING), result.flags("drugs")) == (2, 0)


def test_habit_flags_count_whatever_the_suggestion():
    # One gambling flag on a refusal, one on an offer: two evaluators, so vetoed (1 refusal of 7 is no veto).
    result = aggregate([refuse(habits=[GAMBLING]), vote(habits=[GAMBLING])] + [vote()] * 5)
    assert (result.outcome, result.veto_reasons, result.refusals) == (VETOED, ("veto_gambling",), 1)


def test_codes_are_strings():
    assert Outcome.PASSED == "passed"
    assert veto_code(Habit.DRUGS) == "veto_drugs"
    assert veto_code("gambling") == "veto_gambling"
    assert aggregate([vote()] * 3).outcome == "passed"
    assert vote(integrity="very_good").integrity is Integrity.VERY_GOOD
    assert vote(habits=["drugs"]).habits == frozenset({Habit.DRUGS})


# --- tally and decide ----------------------------------------------------------------------------------------


def counts(levels, *values):
    return tuple(zip(levels, values, strict=True))


def made(counted=5, *, refusals=0, gambling=0, drugs=0, points=None, low=5_000_000, high=None, **fields) -> Tally:
    """A hand-built tally: by default every counted vote says 较好 (25), no debt, 50,000 yuan."""
    return Tally(
        counted=counted,
        abstentions=fields.pop("abstentions", 0),
        refusals=refusals,
        habit_flags=counts(Habit, gambling, drugs, fields.pop("alcoholism", 0), 0),
        high_interest_count=fields.pop("high_interest", 0),
        points_sum=25 * counted if points is None else points,
        median_low_fen=low if counted else None,
        median_high_fen=(low if high is None else high) if counted else None,
        debt_counts=counts(Debt, counted, 0, 0),
        **fields,
    )


# (id, tally, rules, outcome, veto reasons, panel amount, panel score as text)
DECIDE_CASES = [
    ("no counted votes", made(0, abstentions=4), DEFAULT_RULES, UNDECIDED, (), None, None),
    ("two counted, even two drugs flags, decide nothing", made(2, drugs=2), DEFAULT_RULES, UNDECIDED, (), None, None),
    ("quorum exactly 3: the middle suggestion", made(3, points=80), DEFAULT_RULES, PASSED, (), 5_000_000, "26.67"),
    (
        "even count: the mean of the two middles, the half fen down",
        made(4, low=1_000_001, high=1_000_002, points=70),
        DEFAULT_RULES,
        PASSED,
        (),
        1_000_001,
        "17.50",
    ),
    ("2 refusals of 6 is exactly 1/3: no veto", made(6, refusals=2), DEFAULT_RULES, PASSED, (), 5_000_000, "25.00"),
    ("3 refusals of 8 is over 1/3", made(8, refusals=3, low=0), DEFAULT_RULES, VETOED, (VETO_REFUSALS,), None, "25.00"),
    ("2 gambling flags veto", made(3, gambling=2), DEFAULT_RULES, VETOED, ("veto_gambling",), None, "25.00"),
    (
        "one gambling plus one drugs flag is no veto",
        made(3, gambling=1, drugs=1),
        DEFAULT_RULES,
        PASSED,
        (),
        5_000_000,
        "25.00",
    ),
    (
        "every reason, habits in Habit order then refusals; the score stays",
        made(6, gambling=3, drugs=2, refusals=3, points=25, low=0),
        DEFAULT_RULES,
        VETOED,
        ("veto_gambling", "veto_drugs", VETO_REFUSALS),
        None,
        "4.17",
    ),
    ("25/8 = 3.125 is rounded half up", made(8, points=25), DEFAULT_RULES, PASSED, (), 5_000_000, "3.13"),
    ("alcoholism vetoes only when the rules say", made(3, alcoholism=3), DEFAULT_RULES, PASSED, (), 5_000_000, "25.00"),
    (
        "a configured veto habit",
        made(3, alcoholism=2),
        Rules(veto_habits=frozenset({"alcoholism"})),
        VETOED,
        ("veto_alcoholism",),
        None,
        "25.00",
    ),
    (
        "a share of 0: one refusal vetoes",
        made(10, refusals=1),
        Rules(refusal_veto_share=0),
        VETOED,
        (VETO_REFUSALS,),
        None,
        "25.00",
    ),
    (
        "a share of 1/2: half is no veto",
        made(4, refusals=2, low=0),
        Rules(refusal_veto_share=Fraction(1, 2)),
        PASSED,
        (),
        0,
        "25.00",
    ),
    ("quorum 1", made(1, points=30), Rules(quorum=1), PASSED, (), 5_000_000, "30.00"),
    ("score places 0", made(3, points=80), Rules(score_places=0), PASSED, (), 5_000_000, "27"),
]


@pytest.mark.parametrize(
    ("counted", "rules", "outcome", "veto", "amount", "score"),
    [c[1:] for c in DECIDE_CASES],
    ids=[c[0] for c in DECIDE_CASES],
)
def test_decide_cases(counted, rules, outcome, veto, amount, score):
    result = decide(counted, rules)
    assert (result.outcome, result.veto_reasons, result.panel_amount_fen) == (outcome, veto, amount)
    assert (None if result.panel_score is None else str(result.panel_score)) == score
    assert (result.counted, result.abstentions, result.refusals) == (
        counted.counted,
        counted.abstentions,
        counted.refusals,
    )
    assert (result.habit_flags, result.debt_counts) == (counted.habit_flags, counted.debt_counts)


@pytest.mark.parametrize(("count", "flagged"), [(0, False), (1, False), (2, True), (5, True)])
def test_decide_high_interest_flag(count, flagged):
    for counted in (made(2, high_interest=min(count, 2)), made(5, high_interest=count)):  # undecided or passed
        result = decide(counted)
        assert (result.high_interest_count, result.high_interest_flagged) == (
            counted.high_interest_count,
            counted.high_interest_count >= 2,
        )
    assert decide(made(5, high_interest=count)).high_interest_flagged is flagged


def test_tally_of_the_tallies_example():
    votes = [
        refuse("赌博欠债", "无稳定收入", habits=[GAMBLING], debt="high", integrity="poor"),
        refuse("无稳定收入", "无稳定收入", debt="high", integrity="fair"),
        refuse("常年外出", debt="little", habits=["other"], integrity="fair"),
        vote(30_000, habits=["alcoholism", GAMBLING], integrity="very_good"),
        vote(40_000),
        vote(80_000),
        vote(),
        abstain(refusal_reasons=("不认识",), habits=frozenset([DRUGS]), debt="high", suggested_fen=0),
    ]
    assert tally(votes) == Tally(
        counted=7,
        abstentions=1,
        refusals=3,
        habit_flags=counts(Habit, 2, 0, 1, 1),
        high_interest_count=0,
        points_sum=0 + 15 + 15 + 30 + 25 * 3,
        median_low_fen=3_000_000,
        median_high_fen=3_000_000,
        debt_counts=counts(Debt, 4, 1, 2),
        refusal_reasons=(("无稳定收入", 2), ("常年外出", 1), ("赌博欠债", 1)),
    )
    even = tally([vote(10_000), vote(40_000), vote(20_000), refuse()])
    assert (even.median_low_fen, even.median_high_fen, even.counted) == (1_000_000, 2_000_000, 4)
    assert (tally([ABSTAIN]).median_low_fen, tally([]).median_high_fen) == (None, None)


def test_tally_points_follow_the_rules():
    points = {"very_good": 20, "good": 16, "fair": 10, "poor": 0}
    votes = [vote(integrity="very_good"), vote(integrity="fair"), ABSTAIN]
    assert tally(votes).points_sum == 45
    assert tally(votes, Rules(integrity_points=points)).points_sum == 30


def test_tally_takes_votes_only():
    with pytest.raises(TypeError, match="Vote"):
        tally([vote(), {"knows_household": True}])


def test_decide_takes_a_tally():
    with pytest.raises(TypeError, match="Tally"):
        decide(aggregate([vote()] * 3))


def test_tally_orders_the_reasons_and_trusted_is_the_same_value():
    checked = made(3, refusals=3, low=0, refusal_reasons=[("外出", 1), ("无收入", 3), ("赌博", 3)])
    assert checked.refusal_reasons == (("无收入", 3), ("赌博", 3), ("外出", 1))
    fields = {name: getattr(checked, name) for name in Tally.__dataclass_fields__}
    assert Tally.trusted(**fields) == checked
    assert Tally.trusted(*fields.values()) == checked
    assert decide(Tally.trusted(**fields)) == decide(checked)


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"counted": -1}, ValueError, "counted"),
        ({"counted": 3.0}, TypeError, "counted"),
        ({"abstentions": True}, TypeError, "abstentions"),
        ({"points_sum": -5}, ValueError, "points_sum"),
        ({"median_low_fen": None}, ValueError, "middle"),
        ({"median_low_fen": 5.0, "median_high_fen": 5.0}, ValueError, "middle"),
        ({"median_low_fen": 7, "median_high_fen": 6}, ValueError, "low ≤ high"),
        ({"median_low_fen": 6, "median_high_fen": 7}, ValueError, "odd count"),  # 5 counted votes
        ({"median_low_fen": -2, "median_high_fen": -2}, ValueError, "middle"),
        ({"counted": 0, "debt_counts": counts(Debt, 0, 0, 0)}, ValueError, "no median"),  # medians still given
        ({"refusals": 6}, ValueError, "exceed"),
        ({"high_interest_count": 6}, ValueError, "exceed"),
        ({"habit_flags": counts(Habit, 6, 0, 0, 0)}, ValueError, "exceed"),
        ({"habit_flags": counts(Habit, 0, -1, 0, 0)}, ValueError, "drugs"),
        ({"habit_flags": counts(Habit, 0, 1.0, 0, 0)}, TypeError, "drugs"),
        ({"habit_flags": counts(Habit, 0, 0, 0, 0)[:3]}, ValueError, "every Habit"),
        ({"habit_flags": (("gambling", 0), ("drugs", 0), ("alcoholism", 0), ("other", 0))}, ValueError, "Habit"),
        ({"habit_flags": tuple(reversed(counts(Habit, 0, 0, 0, 0)))}, ValueError, "in order"),
        ({"habit_flags": list(counts(Habit, 0, 0, 0, 0))}, ValueError, "tuple"),
        ({"debt_counts": counts(Debt, 4, 0, 0)}, ValueError, "add up"),
        ({"debt_counts": counts(Debt, 5, 0, 0)[:2]}, ValueError, "Debt"),
        ({"refusals": 1, "refusal_reasons": (("无收入", 2),)}, ValueError, "more often"),
        ({"refusals": 1, "refusal_reasons": (("无收入", 0),)}, ValueError, "at least 1"),
        ({"refusals": 1, "refusal_reasons": (("", 1),)}, ValueError, "non-empty"),
        ({"refusals": 1, "refusal_reasons": (("无收入", 1), ("无收入", 1))}, ValueError, "twice"),
        ({"refusals": 1, "refusal_reasons": "无收入"}, TypeError, "string"),
    ],
)
def test_bad_tallies_refused(fields, error, match):
    good = {name: getattr(made(5), name) for name in Tally.__dataclass_fields__}
    with pytest.raises(error, match=match):
        Tally(**(good | fields))


# --- configurable rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "votes", "outcome", "veto"),
    [
        (Rules(quorum=5), [vote()] * 4, UNDECIDED, ()),
        (Rules(quorum=5), [vote()] * 5, PASSED, ()),
        (Rules(quorum=1), [vote()], PASSED, ()),
        (Rules(veto_habit_min_evaluators=1), [vote(habits=[DRUGS]), vote(), vote()], VETOED, ("veto_drugs",)),
        (Rules(veto_habit_min_evaluators=3), [vote(habits=[DRUGS])] * 2 + [vote()], PASSED, ()),
        (
            Rules(veto_habits=frozenset({"alcoholism"})),
            [vote(habits=["alcoholism"])] * 2 + [vote()],
            VETOED,
            ("veto_alcoholism",),
        ),
        (Rules(veto_habits=frozenset({"alcoholism"})), [vote(habits=[DRUGS])] * 3, PASSED, ()),
        (Rules(refusal_veto_share=Fraction(1, 2)), [refuse(), vote(), vote(), refuse()], PASSED, ()),
        (Rules(refusal_veto_share=Decimal("0.5")), [refuse(), vote(), refuse()], VETOED, (VETO_REFUSALS,)),
        (Rules(refusal_veto_share=0), [refuse()] + [vote()] * 9, VETOED, (VETO_REFUSALS,)),
    ],
)
def test_custom_rules(rules, votes, outcome, veto):
    result = aggregate(votes, rules)
    assert (result.outcome, result.veto_reasons) == (outcome, veto)


def test_custom_high_interest_threshold_and_points():
    votes = [vote(high_interest=True, integrity="fair")] * 2 + [vote(integrity="good")]
    assert aggregate(votes, Rules(high_interest_min_evaluators=3)).high_interest_flagged is False
    points = {"very_good": 20, "good": 16, "fair": 10, "poor": 0}
    assert aggregate(votes, Rules(integrity_points=points)).panel_score == Decimal("12.00")
    assert Rules(integrity_points=points).max_score == 20
    assert DEFAULT_RULES.max_score == 30


def test_default_rules_equal_a_fresh_instance():
    assert Rules() == DEFAULT_RULES
    assert hash(Rules()) == hash(DEFAULT_RULES)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"integrity": None}, ValueError, "integrity"),
        ({"debt": None}, ValueError, "debt"),
        ({"integrity": "excellent"}, ValueError, "excellent"),
        ({"debt": "some"}, ValueError, "some"),
        ({"habits": frozenset({"smoking"})}, ValueError, "smoking"),
        ({"habits": "drugs"}, TypeError, "string"),
        ({"suggested_fen": 1.0}, TypeError, "fen"),
        ({"suggested_fen": 50_000.5}, TypeError, "fen"),
        ({"suggested_fen": Decimal(100)}, TypeError, "fen"),
        ({"suggested_fen": True}, TypeError, "fen"),
        ({"suggested_fen": -1}, ValueError, "negative"),
        ({"knows_household": 1}, TypeError, "knows_household"),
        ({"informal_high_interest": None}, TypeError, "informal_high_interest"),
        ({"refusal_reasons": ("no income",)}, ValueError, "refusal"),  # with a positive suggestion
        ({"suggested_fen": 0, "refusal_reasons": ("",)}, ValueError, "non-empty"),
        ({"suggested_fen": 0, "refusal_reasons": "no income"}, TypeError, "string"),
    ],
)
def test_bad_votes_refused(fields, error, match):
    base = {"knows_household": True, "integrity": "good", "debt": "none", "suggested_fen": 100_000}
    with pytest.raises(error, match=match):
        Vote(**(base | fields))


def test_abstention_content_is_only_type_checked():
    assert abstain(integrity="poor", suggested_fen=5).integrity is Integrity.POOR
    with pytest.raises(TypeError):
        abstain(suggested_fen=0.0)


def test_aggregate_takes_votes_only():
    with pytest.raises(TypeError, match="Vote"):
        aggregate([vote(), vote(), {"knows_household": True}])


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"quorum": 0}, ValueError),
        ({"quorum": 2.0}, TypeError),
        ({"veto_habit_min_evaluators": 0}, ValueError),
        ({"high_interest_min_evaluators": 0}, ValueError),
        ({"score_places": -1}, ValueError),
        ({"refusal_veto_share": 1 / 3}, TypeError),
        ({"refusal_veto_share": Fraction(1)}, ValueError),
        ({"refusal_veto_share": Fraction(-1, 3)}, ValueError),
        ({"veto_habits": frozenset({"smoking"})}, ValueError),
        ({"veto_habits": "drugs"}, TypeError),
        ({"integrity_points": {"very_good": 30, "good": 25, "fair": 15}}, ValueError),
        ({"integrity_points": {"very_good": 30, "good": 25, "fair": 15, "poor": -1}}, ValueError),
        ({"integrity_points": {"very_good": 30.0, "good": 25, "fair": 15, "poor": 0}}, TypeError),
    ],
)
def test_bad_rules_refused(fields, error):
    with pytest.raises(error):
        Rules(**fields)


def test_median_and_score_of_nothing_refused():
    with pytest.raises(ValueError):
        median_fen([])
    with pytest.raises(ValueError):
        panel_score([])


@pytest.mark.parametrize(
    ("values", "expected"),
    [([7], 7), ([1, 2], 1), ([2, 3], 2), ([0, 0], 0), ([0, 1], 0), ([3, 1, 2], 2), ([4, 1, 3, 2], 2), ([10, 20], 15)],
)
def test_median_fen(values, expected):
    assert median_fen(values) == expected


# --- properties ---------------------------------------------------------------------------------------------

# Few distinct amounts, so that ties and refusals are common; sometimes anything.
fen = st.one_of(st.sampled_from([0, 100_000, 5_000_000, 5_000_001, 30_000_000]), st.integers(0, 10**10))
habits = st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(list(Habit))))


@st.composite
def counted_votes(draw):
    suggested = draw(fen)
    reasons = draw(st.lists(st.sampled_from(["无收入", "赌博", "外出"]), max_size=3)) if suggested == 0 else []
    return Vote(
        knows_household=True,
        integrity=draw(st.sampled_from(list(Integrity))),
        debt=draw(st.sampled_from(list(Debt))),
        suggested_fen=suggested,
        habits=draw(habits),
        informal_high_interest=draw(st.booleans()),
        refusal_reasons=tuple(reasons),
    )


ballots = st.lists(st.one_of(counted_votes(), counted_votes(), st.just(ABSTAIN)), max_size=12)


@given(ballots, st.randoms(use_true_random=False))
def test_order_of_the_votes_does_not_matter(votes, random):
    shuffled = list(votes)
    random.shuffle(shuffled)
    assert aggregate(shuffled) == aggregate(votes)


@given(ballots)
def test_abstentions_change_nothing_but_their_count(votes):
    counted = [v for v in votes if v.knows_household]
    assert aggregate(votes) == replace(aggregate(counted), abstentions=len(votes) - len(counted))


@given(ballots)
def test_outcome_follows_the_rules(votes):
    result = aggregate(votes)
    counted = [v for v in votes if v.knows_household]
    refusals = sum(v.suggested_fen == 0 for v in counted)
    habit_veto = any(sum(h in v.habits for v in counted) >= 2 for h in (Habit.DRUGS, Habit.GAMBLING))
    if len(counted) < 3:
        assert (result.outcome, result.veto_reasons, result.panel_score) == (UNDECIDED, (), None)
    elif habit_veto or 3 * refusals > len(counted):
        assert result.outcome is VETOED and result.veto_reasons
    else:
        assert (result.outcome, result.veto_reasons) == (PASSED, ())
    assert (result.panel_amount_fen is not None) is (result.outcome is PASSED)


@given(ballots)
def test_panel_amount_lies_within_the_suggestions(votes):
    result = aggregate(votes)
    suggestions = [v.suggested_fen for v in votes if v.knows_household]
    if result.panel_amount_fen is not None:
        assert 0 < result.panel_amount_fen <= max(suggestions)
        assert min(suggestions) <= result.panel_amount_fen
        assert sum(s <= result.panel_amount_fen for s in suggestions) * 2 >= len(suggestions)
        assert sum(s >= result.panel_amount_fen for s in suggestions) * 2 >= len(suggestions)


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=15))
def test_median_is_the_exact_median_rounded_down(values):
    m = median_fen(values)
    assert min(values) <= m <= max(values)
    assert m == math.floor(statistics.median(map(Fraction, values)))


@given(ballots)
def test_panel_score_is_the_rounded_mean(votes):
    result = aggregate(votes)
    if result.panel_score is None:
        return
    points = {"very_good": 30, "good": 25, "fair": 15, "poor": 0}
    exact = Fraction(sum(points[v.integrity] for v in votes if v.knows_household), result.counted)
    assert Decimal(0) <= result.panel_score <= Decimal(30)
    assert result.panel_score.as_tuple().exponent == -2
    assert abs(Fraction(result.panel_score) - exact) <= Fraction(1, 200)


rule_sets = st.builds(
    Rules,
    quorum=st.integers(1, 5),
    veto_habits=st.frozensets(st.sampled_from(list(Habit))),
    veto_habit_min_evaluators=st.integers(1, 3),
    refusal_veto_share=st.fractions(0, 1, max_denominator=12).filter(lambda share: share < 1),
    high_interest_min_evaluators=st.integers(1, 3),
    integrity_points=st.fixed_dictionaries({level: st.integers(0, 40) for level in Integrity}),
    score_places=st.integers(0, 4),
)


def counted_by_hand(votes, rules) -> Tally:
    """The tally from plain counts, as a query would compute it (reasons unordered: the constructor orders)."""
    counted = [v for v in votes if v.knows_household]
    suggestions = sorted(v.suggested_fen for v in counted)
    n = len(counted)
    reasons = Counter(r for v in counted if v.suggested_fen == 0 for r in set(v.refusal_reasons))
    return Tally(
        counted=n,
        abstentions=len(votes) - n,
        refusals=sum(v.suggested_fen == 0 for v in counted),
        habit_flags=tuple((h, sum(h in v.habits for v in counted)) for h in Habit),
        high_interest_count=sum(v.informal_high_interest for v in counted),
        points_sum=sum(rules.integrity_points[v.integrity] for v in counted),
        median_low_fen=suggestions[(n - 1) // 2] if n else None,
        median_high_fen=suggestions[n // 2] if n else None,
        debt_counts=tuple((d, sum(v.debt is d for v in counted)) for d in Debt),
        refusal_reasons=tuple(reasons.items()),
    )


@given(ballots, st.one_of(st.just(DEFAULT_RULES), rule_sets))
def test_decide_of_the_tally_is_aggregate(votes, rules):
    result = aggregate(votes, rules)
    assert decide(tally(votes, rules), rules) == result
    by_hand = counted_by_hand(votes, rules)
    assert by_hand == tally(votes, rules)
    assert decide(by_hand, rules) == result
    # a query that does not tally the reasons decides the same
    assert decide(replace(by_hand, refusal_reasons=()), rules) == replace(result, refusal_reasons=())


@given(
    st.integers(1, 40),
    st.integers(0, 10**6),
    st.integers(0, 6),
    st.fractions(0, 1, max_denominator=20).filter(lambda share: share < 1),
    st.data(),
)
def test_decide_is_the_exact_rule_in_integers(counted, points, places, share, data):
    refusals = data.draw(st.integers(0, counted))
    low = data.draw(st.integers(0, 10**9))
    high = low if counted % 2 else data.draw(st.integers(low, 10**9))
    rules = Rules(quorum=1, refusal_veto_share=share, score_places=places)
    result = decide(
        Tally(
            counted=counted,
            abstentions=0,
            refusals=refusals,
            habit_flags=counts(Habit, 0, 0, 0, 0),
            high_interest_count=0,
            points_sum=points,
            median_low_fen=low,
            median_high_fen=high,
            debt_counts=counts(Debt, counted, 0, 0),
        ),
        rules,
    )
    assert result.panel_score == round_half_up(Fraction(points, counted), places)
    assert result.panel_score.as_tuple().exponent == -places
    assert (VETO_REFUSALS in result.veto_reasons) is (Fraction(refusals, counted) > share)
    if result.outcome is PASSED:
        assert result.panel_amount_fen == math.floor(Fraction(low + high, 2))
