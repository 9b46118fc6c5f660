"""The SQL tally of a round's votes equals the pure rule's tally of the same votes, household by household."""

import random

import pytest

from puhui.deliberation import aggregate
from puhui.deliberation.models import Ballot, PanelMember, RoundHousehold, Vote
from puhui.deliberation.selectors import aggregate_rules, deliberation_rules
from puhui.deliberation.services import ballot_submit, round_open, vote_save
from puhui.deliberation.tallies import round_tallies
from puhui.org import roles


def random_answers(rng: random.Random) -> dict:
    if rng.random() < 0.15:
        return {"knows_household": False}
    refuse = rng.random() < 0.25
    return {
        "knows_household": True,
        "integrity": rng.choice(["very_good", "good", "fair", "poor"]),
        "debt": rng.choice(["none", "little", "high"]),
        "habits": rng.sample(["gambling", "drugs", "alcoholism", "other"], rng.choice([0, 0, 1, 2])),
        "informal_high_interest": rng.random() < 0.2,
        "suggested_fen": 0 if refuse else rng.choice([100_000, 2_500_000, 5_000_000, 5_000_000, 12_345_600]),
        "refusal_reasons": ["负债过高"] if refuse and rng.random() < 0.5 else [],
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_tallies_equal_the_pure_tallies(world, village, seed):
    rng = random.Random(seed)
    round_ = round_open(
        user=world.users[roles.ACCOUNT_MANAGER], campaign=village.campaign, households=village.households
    )
    submitters = rng.sample(village.panel, rng.randint(2, 5))  # an unsubmitted ballot must not count
    for user in village.panel:
        for entry in RoundHousehold.objects.filter(round=round_):
            if rng.random() < 0.9 or user in submitters:
                vote_save(user=user, entry_id=entry.pk, answers=random_answers(rng))
        if user in submitters:
            ballot_submit(user=user, round_id=round_.pk)
    rules = aggregate_rules(deliberation_rules())
    tallies = round_tallies(round_.pk, rules)
    for entry in RoundHousehold.objects.filter(round=round_):
        votes = [
            aggregate.Vote.abstention()
            if not v.knows_household
            else aggregate.Vote(
                knows_household=True,
                integrity=v.integrity,
                debt=v.debt,
                suggested_fen=v.suggested_fen,
                habits=frozenset(v.habits),
                informal_high_interest=v.informal_high_interest,
                refusal_reasons=tuple(v.refusal_reasons),
            )
            for v in Vote.objects.filter(entry=entry, ballot__submitted_at__isnull=False)
        ]
        expected = aggregate.tally(votes, rules)
        got = tallies[entry.pk]
        assert (got.counted, got.abstentions, got.refusals, got.habit_flags, got.high_interest_count) == (
            expected.counted,
            expected.abstentions,
            expected.refusals,
            expected.habit_flags,
            expected.high_interest_count,
        )
        assert (got.points_sum, got.median_low_fen, got.median_high_fen, got.debt_counts) == (
            expected.points_sum,
            expected.median_low_fen,
            expected.median_high_fen,
            expected.debt_counts,
        )
        decided, pure = aggregate.decide(got, rules), aggregate.aggregate(votes, rules)
        assert (decided.outcome, decided.panel_amount_fen, decided.panel_score, decided.veto_reasons) == (
            pure.outcome,
            pure.panel_amount_fen,
            pure.panel_score,
            pure.veto_reasons,
        )
    assert Ballot.objects.filter(round=round_, submitted_at__isnull=False).count() == len(submitters)
    assert PanelMember.objects.filter(campaign=village.campaign).count() == 5
