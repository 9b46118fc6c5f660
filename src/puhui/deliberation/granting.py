"""整村批量授信 in one action (DOMAIN §3 steps 4–6): close a round, aggregate every household's blind votes,
screen the borrowers against the credit bureau, rate them and propose their limits.

Set-based in SQL (`grant_sql`): the votes are tallied and decided, the borrowers screened, rated and limited
for every household of one or many rounds at once, and the results written with one UPDATE … FROM and one
INSERT … SELECT. The SQL is generated from the pure modules' rule objects (`aggregate.Rules`,
`eligibility.EligibilityRules`, `rating.Scorecard` / `rating.Terms`) with the bank's configured rules, so those
modules stay the single specification (tests/deliberation/test_grant_sql.py checks the equivalence).
"""

from collections import Counter

from django.db import transaction
from django.utils import timezone

from puhui.core.audit import set_actor
from puhui.core.selectors import business_date_current
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.grant_sql import WORKING_AGES, rounds_close_sql
from puhui.deliberation.models import Proposal, Round
from puhui.deliberation.selectors import aggregate_rules, deliberation_rules, eligibility_rules, lpr_on

__all__ = ["WORKING_AGES", "grey_decide", "village_batch_close", "villages_batch_close"]


def village_batch_close(*, user, round_id: int) -> dict[str, int]:
    """评议结束 → 准入 → 评级定额 → 授信建议, for every household of the round at once; returns counts."""
    return villages_batch_close(user=user, round_ids=[round_id])


@transaction.atomic
def villages_batch_close(*, user, round_ids) -> dict[str, int]:
    """Close several open rounds in one pass (`grant_sql`); returns the counts of household outcomes
    (``households_<outcome>``) and proposal statuses (``proposals_<status>``) over all of them."""
    ids = sorted({int(pk) for pk in round_ids})
    rounds = list(Round.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(rounds) != len(ids):
        raise Round.DoesNotExist("no such round")
    if any(round_.status != Round.Status.OPEN for round_ in rounds):
        raise DeliberationRefused("round_closed")
    rules = deliberation_rules()
    today = business_date_current()
    now = timezone.now()
    with set_actor(user):
        Round.objects.filter(pk__in=ids).update(status=Round.Status.CLOSED, closed_at=now, closed_by=user)
        outcomes, statuses = rounds_close_sql(
            ids,
            rules=aggregate_rules(rules),
            screen_rules=eligibility_rules(rules),
            today=today,
            lpr=lpr_on(today),
            now=now,
        )
    counts: Counter[str] = Counter()
    for outcome, n in outcomes.items():
        counts[f"households_{outcome}"] += n
    for status, n in statuses.items():
        counts[f"proposals_{status}"] += n
    return dict(counts)


@transaction.atomic
def grey_decide(*, user, proposal_id: int, accept: bool, reason: str) -> Proposal:
    """灰名单: a staff member accepts (→ proposed, or no credit when the rating gives none) or refuses, in writing."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != Proposal.Status.GREY_PENDING:
        raise DeliberationRefused("not_grey")
    if not reason.strip():
        raise DeliberationRefused("grey_reason_required")
    with set_actor(user):
        proposal.grey_decision = "accept" if accept else "refuse"
        proposal.grey_reason, proposal.grey_decided_by = reason.strip(), user
        if not accept:
            proposal.status = Proposal.Status.REFUSED
        else:
            proposal.status = Proposal.Status.PROPOSED if proposal.limit_fen else Proposal.Status.NO_CREDIT
        proposal.save()
    return proposal
