"""准入 screening: every reason alone, combinations, the age and look-back boundaries, then hypothesis properties."""

import datetime
import inspect
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.deliberation.eligibility import (
    AGE_OUTSIDE_RANGE,
    AGE_UNKNOWN,
    BLACK_REASONS,
    BUREAU_CURRENT_OVERDUE,
    BUREAU_MISSING,
    BUREAU_NON_PERFORMING,
    DELIBERATION_VETO,
    DRUG_RECORD,
    GREY_REASONS,
    INFORMAL_HIGH_INTEREST,
    LITIGATION_DEFENDANT,
    SERVING_SENTENCE,
    SETTLED_OVERDUE_RECENT,
    BureauFacts,
    EligibilityRules,
    Screening,
    ScreenList,
    age_on,
    months_before,
    screen,
)

D = datetime.date
TODAY = D(2017, 6, 30)
ADULT = D(1980, 5, 10)
CLEAN = BureauFacts(queried_on=D(2017, 6, 1))
WHITE, GREY, BLACK = ScreenList.WHITE, ScreenList.GREY, ScreenList.BLACK


def run(facts=CLEAN, *, birth=ADULT, today=TODAY, vetoed=False, flagged=False, rules=None) -> Screening:
    return screen(
        facts,
        borrower_birth=birth,
        today=today,
        panel_vetoed=vetoed,
        high_interest_flagged=flagged,
        rules=rules or EligibilityRules(),
    )


def facts(**fields) -> BureauFacts:
    return replace(CLEAN, **fields)


# (case, arguments of run(), expected list, expected reasons)
CASES = [
    ("clean", {}, WHITE, ()),
    ("current overdue", {"facts": facts(current_overdue=True)}, BLACK, (BUREAU_CURRENT_OVERDUE,)),
    ("non-performing", {"facts": facts(non_performing=True)}, BLACK, (BUREAU_NON_PERFORMING,)),
    ("serving a sentence", {"facts": facts(serving_sentence=True)}, BLACK, (SERVING_SENTENCE,)),
    ("drug record", {"facts": facts(drug_record=True)}, BLACK, (DRUG_RECORD,)),
    ("panel veto", {"vetoed": True}, BLACK, (DELIBERATION_VETO,)),
    ("defendant", {"facts": facts(litigation_defendant=True)}, GREY, (LITIGATION_DEFENDANT,)),
    ("settled recently", {"facts": facts(settled_overdue_on=D(2016, 1, 5))}, GREY, (SETTLED_OVERDUE_RECENT,)),
    ("settled long ago", {"facts": facts(settled_overdue_on=D(2014, 1, 5))}, WHITE, ()),
    ("high interest", {"flagged": True}, GREY, (INFORMAL_HIGH_INTEREST,)),
    ("too young", {"birth": D(2000, 1, 1)}, GREY, (AGE_OUTSIDE_RANGE,)),
    ("too old", {"birth": D(1940, 1, 1)}, GREY, (AGE_OUTSIDE_RANGE,)),
    ("birth unknown", {"birth": None}, GREY, (AGE_UNKNOWN,)),
    ("no bureau facts", {"facts": None}, GREY, (BUREAU_MISSING,)),
    ("no bureau facts, vetoed", {"facts": None, "vetoed": True}, BLACK, (DELIBERATION_VETO, BUREAU_MISSING)),
    (
        "two black reasons",
        {"facts": facts(current_overdue=True, drug_record=True)},
        BLACK,
        (BUREAU_CURRENT_OVERDUE, DRUG_RECORD),
    ),
    (
        "black with grey reasons listed after",
        {"facts": facts(non_performing=True, litigation_defendant=True), "flagged": True, "birth": None},
        BLACK,
        (BUREAU_NON_PERFORMING, LITIGATION_DEFENDANT, AGE_UNKNOWN, INFORMAL_HIGH_INTEREST),
    ),
    (
        "every grey reason",
        {"facts": facts(litigation_defendant=True, settled_overdue_on=TODAY), "flagged": True, "birth": D(1900, 1, 1)},
        GREY,
        (LITIGATION_DEFENDANT, SETTLED_OVERDUE_RECENT, AGE_OUTSIDE_RANGE, INFORMAL_HIGH_INTEREST),
    ),
    (
        "everything",
        {
            "facts": BureauFacts(
                queried_on=TODAY,
                current_overdue=True,
                non_performing=True,
                serving_sentence=True,
                drug_record=True,
                litigation_defendant=True,
                settled_overdue_on=D(2017, 1, 1),
            ),
            "vetoed": True,
            "flagged": True,
            "birth": D(2010, 1, 1),
        },
        BLACK,
        (*BLACK_REASONS, LITIGATION_DEFENDANT, SETTLED_OVERDUE_RECENT, AGE_OUTSIDE_RANGE, INFORMAL_HIGH_INTEREST),
    ),
]


@pytest.mark.parametrize(("arguments", "expected_list", "reasons"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_screening_table(arguments, expected_list, reasons):
    assert run(**arguments) == Screening(expected_list, reasons)


# settled on → recent as of today, 24 months back (the cut-off day itself counts as within)
LOOK_BACK = [
    (D(2015, 7, 1), D(2017, 6, 30), True),
    (D(2015, 6, 30), D(2017, 6, 30), True),
    (D(2015, 6, 29), D(2017, 6, 30), False),
    (D(2015, 3, 31), D(2017, 3, 31), True),
    (D(2015, 3, 30), D(2017, 3, 31), False),
    (D(2014, 2, 28), D(2016, 2, 29), True),  # 2014 has no 29 February: the cut-off is the 28th
    (D(2014, 2, 27), D(2016, 2, 29), False),
    (D(2015, 2, 28), D(2017, 2, 28), True),
    (D(2015, 2, 27), D(2017, 2, 28), False),
    (D(2015, 1, 1), D(2017, 1, 1), True),
    (D(2014, 12, 31), D(2017, 1, 1), False),
    (D(2017, 6, 30), D(2017, 6, 30), True),
]


@pytest.mark.parametrize(("settled", "today", "recent"), LOOK_BACK)
def test_settled_overdue_look_back_by_calendar_months(settled, today, recent):
    result = run(facts(settled_overdue_on=settled), today=today)
    assert (SETTLED_OVERDUE_RECENT in result.reasons) is recent
    assert result.list == (GREY if recent else WHITE)


def test_look_back_follows_the_rules():
    settled = facts(settled_overdue_on=D(2016, 6, 29))
    assert run(settled, rules=EligibilityRules(past_overdue_months=12)).list == WHITE
    assert run(facts(settled_overdue_on=D(2016, 6, 30)), rules=EligibilityRules(past_overdue_months=12)).list == GREY
    assert run(settled, rules=EligibilityRules(past_overdue_months=0)).list == WHITE
    assert run(facts(settled_overdue_on=TODAY), rules=EligibilityRules(past_overdue_months=0)).list == GREY


# birth → today → in range 18–65
AGES = [
    (D(1999, 6, 30), D(2017, 6, 30), True),  # the 18th birthday
    (D(1999, 7, 1), D(2017, 6, 30), False),  # the day before it
    (D(1951, 7, 1), D(2017, 6, 30), True),  # the day before the 66th birthday
    (D(1951, 6, 30), D(2017, 6, 30), False),  # the 66th birthday
    (D(1996, 2, 29), D(2014, 2, 28), False),  # born 29 Feb: still 17 on 28 Feb of a common year
    (D(1996, 2, 29), D(2014, 3, 1), True),  # 18 on 1 March
    (D(2000, 2, 29), D(2018, 2, 28), False),
    (D(2000, 2, 29), D(2018, 3, 1), True),
    (D(1996, 2, 29), D(2016, 2, 29), True),  # 20 on the day in a leap year
    (D(1948, 2, 29), D(2014, 2, 28), True),  # still 65
    (D(1948, 2, 29), D(2014, 3, 1), False),  # 66
    (D(1952, 2, 29), D(2018, 2, 28), True),
    (D(1952, 2, 29), D(2018, 3, 1), False),
    (D(2018, 1, 1), D(2017, 6, 30), False),  # born after today: a data error, never in range
]


@pytest.mark.parametrize(("birth", "today", "in_range"), AGES)
def test_age_boundaries(birth, today, in_range):
    result = run(birth=birth, today=today)
    assert result == (Screening(WHITE, ()) if in_range else Screening(GREY, (AGE_OUTSIDE_RANGE,)))


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (D(1996, 2, 29), D(2014, 2, 28), 17),
        (D(1996, 2, 29), D(2014, 3, 1), 18),
        (D(1996, 2, 29), D(2016, 2, 29), 20),
        (D(1980, 5, 10), D(2017, 5, 9), 36),
        (D(1980, 5, 10), D(2017, 5, 10), 37),
        (D(1980, 12, 31), D(1981, 12, 30), 0),
    ],
)
def test_age_on(birth, today, age):
    assert age_on(birth, today) == age


def test_age_range_follows_the_rules():
    rules = EligibilityRules(age_min=20, age_max=60)
    assert run(birth=D(1998, 6, 30), rules=rules).list == GREY  # 19
    assert run(birth=D(1997, 6, 30), rules=rules).list == WHITE  # 20
    assert run(birth=D(1956, 7, 1), rules=rules).list == WHITE  # 60
    assert run(birth=D(1956, 6, 30), rules=rules).list == GREY  # 61


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2017, 6, 30), 24, D(2015, 6, 30)),
        (D(2017, 3, 31), 1, D(2017, 2, 28)),
        (D(2016, 3, 31), 1, D(2016, 2, 29)),
        (D(2016, 2, 29), 12, D(2015, 2, 28)),
        (D(2017, 1, 15), 1, D(2016, 12, 15)),
        (D(2017, 1, 15), 0, D(2017, 1, 15)),
        (D(2017, 5, 31), 13, D(2016, 4, 30)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_low_income_is_not_an_input_nor_a_reason():
    assert not [name for name in inspect.signature(screen).parameters if "income" in name]
    assert not [code for code in BLACK_REASONS + GREY_REASONS if "income" in code]


def test_rules_defaults_and_from_the_bank_row():
    assert EligibilityRules() == EligibilityRules(age_min=18, age_max=65, past_overdue_months=24)
    row = SimpleNamespace(borrower_age_min=20, borrower_age_max=60, past_overdue_months=36)
    assert EligibilityRules.of(row) == EligibilityRules(age_min=20, age_max=60, past_overdue_months=36)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"age_min": 70}, ValueError),
        ({"age_max": -1}, ValueError),
        ({"past_overdue_months": -1}, ValueError),
        ({"age_min": 18.0}, TypeError),
        ({"past_overdue_months": True}, TypeError),
    ],
)
def test_rules_refuse_nonsense(fields, error):
    with pytest.raises(error):
        EligibilityRules(**fields)


@pytest.mark.parametrize(
    "arguments",
    [
        {"vetoed": 1},
        {"flagged": None},
        {"birth": "1980-01-01"},
        {"today": datetime.datetime(2017, 6, 30, 12)},
        {"facts": {"current_overdue": True}},
    ],
)
def test_screen_refuses_wrong_types(arguments):
    with pytest.raises(TypeError):
        run(**arguments)


def test_facts_refuse_wrong_types():
    with pytest.raises(TypeError):
        BureauFacts(queried_on=TODAY, current_overdue="是")
    with pytest.raises(TypeError):
        BureauFacts(queried_on="2017-06-30")


def test_list_values_are_the_proposal_screen_values():
    assert [item.value for item in ScreenList] == ["white", "grey", "black"]


# ---- properties ----

days = st.dates(min_value=D(1930, 1, 1), max_value=D(2030, 12, 31))
bureau_facts = st.none() | st.builds(
    BureauFacts,
    queried_on=days,
    current_overdue=st.booleans(),
    non_performing=st.booleans(),
    serving_sentence=st.booleans(),
    drug_record=st.booleans(),
    litigation_defendant=st.booleans(),
    settled_overdue_on=st.none() | days,
)
rule_sets = st.builds(
    lambda low, span, months: EligibilityRules(age_min=low, age_max=low + span, past_overdue_months=months),
    st.integers(0, 30),
    st.integers(0, 60),
    st.integers(0, 120),
)
inputs = st.fixed_dictionaries(
    {
        "facts": bureau_facts,
        "birth": st.none() | days,
        "today": st.dates(min_value=D(1950, 1, 1), max_value=D(2030, 12, 31)),
        "vetoed": st.booleans(),
        "flagged": st.booleans(),
        "rules": rule_sets,
    }
)


def any_black_fact(arguments) -> bool:
    found = arguments["facts"]
    bureau = found is not None and (
        found.current_overdue or found.non_performing or found.serving_sentence or found.drug_record
    )
    return bool(bureau or arguments["vetoed"])


@given(inputs)
def test_black_exactly_when_a_black_fact_is_present(arguments):
    assert (run(**arguments).list == BLACK) == any_black_fact(arguments)


@given(inputs)
def test_white_only_without_reasons_and_grey_only_with_grey_reasons(arguments):
    result = run(**arguments)
    assert (result.list == WHITE) == (result.reasons == ())
    if result.list == GREY:
        assert result.reasons and set(result.reasons) <= set(GREY_REASONS)


@given(inputs)
def test_reasons_known_unique_and_black_first(arguments):
    reasons = run(**arguments).reasons
    assert len(set(reasons)) == len(reasons)
    order = BLACK_REASONS + GREY_REASONS
    assert list(reasons) == sorted(reasons, key=order.index)
    assert (AGE_UNKNOWN in reasons) == (arguments["birth"] is None)
    assert not {AGE_UNKNOWN, AGE_OUTSIDE_RANGE} <= set(reasons)
    assert (BUREAU_MISSING in reasons) == (arguments["facts"] is None)


@given(inputs)
def test_grey_reasons_do_not_depend_on_the_veto(arguments):
    vetoed = run(**{**arguments, "vetoed": True}).reasons
    passed = run(**{**arguments, "vetoed": False}).reasons
    assert [r for r in vetoed if r in GREY_REASONS] == [r for r in passed if r in GREY_REASONS]


@given(inputs, st.integers(0, 400))
def test_a_later_settlement_is_never_less_recent(arguments, days_later):
    found = arguments["facts"]
    if found is None or found.settled_overdue_on is None:
        return
    later = replace(found, settled_overdue_on=found.settled_overdue_on + datetime.timedelta(days=days_later))
    if SETTLED_OVERDUE_RECENT in run(**arguments).reasons:
        assert SETTLED_OVERDUE_RECENT in run(**{**arguments, "facts": later}).reasons


@given(inputs)
def test_look_back_and_age_reasons_are_the_definitions(arguments):
    reasons = run(**arguments).reasons
    found, birth, today, rules = arguments["facts"], arguments["birth"], arguments["today"], arguments["rules"]
    settled = None if found is None else found.settled_overdue_on
    recent = settled is not None and settled >= months_before(today, rules.past_overdue_months)
    assert (SETTLED_OVERDUE_RECENT in reasons) is recent
    outside = birth is not None and not rules.age_min <= age_on(birth, today) <= rules.age_max
    assert (AGE_OUTSIDE_RANGE in reasons) is outside


def test_the_look_back_is_kept_per_day_and_rule():
    settled = facts(settled_overdue_on=D(2016, 1, 5))  # 17 months before TODAY
    for _ in range(2):  # the second time from the cache
        assert run(settled, rules=EligibilityRules(past_overdue_months=24)).list == GREY
        assert run(settled, rules=EligibilityRules(past_overdue_months=12)).list == WHITE
        assert run(settled, today=D(2018, 1, 5)).list == GREY  # the cut-off day itself
        assert run(settled, today=D(2018, 1, 6)).list == WHITE
