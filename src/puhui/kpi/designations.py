"""信用户 / 信用村 / 信用乡镇 (DOMAIN §5): evaluated for the whole city at once, yearly and on demand, kept as
history periods (since when, until when, why lost).

The rules are credit/designation.py's pure functions, with the thresholds of the DesignationRules row. What
feeds them, as of the evaluation date:

- a household's rating is the grade of its latest credit line started on or before the date, rated on the
  line's start date: the rating the bank approved and signed face to face, and the only rating the platform
  dates by business date (proposals carry a grade but only clock timestamps);
- a loan's five-category classification and outstanding principal are today's (end of day keeps them; the
  platform keeps no classification history), so an evaluation is meant for the current business date;
- a village's households are its registered households (村户数), or the households on the platform when
  there are more; only 行政村 (``is_rural``) are evaluated as 信用村, and a township's share of 信用村 is
  over its 行政村; NPL ratios are by balance over every loan of the village or township.

XY1 and XY2/XY3 (kpi/measures.py) read these periods: a value as of a past date is what the bank had
designated then, which is exact history; evaluating the data again for a past date could not be (the
classifications of that day are gone).
"""

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from auditlog.models import LogEntry
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from puhui.core.errors import RuleRefused
from puhui.core.selectors import business_date_current, singleton_row
from puhui.credit import designation
from puhui.credit.classify import Classification, is_npl, worst
from puhui.credit.models import CreditLine, Loan
from puhui.households.models import Household
from puhui.kpi.models import Designation, DesignationRules, DesignationRun
from puhui.org.models import Township, Village

NPL_CODES = [c.value for c in Classification if is_npl(c)]
SUBJECT_FIELD = {
    Designation.Level.HOUSEHOLD: "household_id",
    Designation.Level.VILLAGE: "village_id",
    Designation.Level.TOWNSHIP: "township_id",
}
UPDATE_CHUNK = 2000

REASON_TEXTS = {
    "no_rating": _("no credit rating"),
    "grade_below": _("rating %(value)s is below grade %(limit)s"),
    "rating_expired": _("the rating of %(value)s has expired"),
    "loan_past_due": _("a loan is in %(value)s"),
    "credit_household_share": _("信用户 share %(value)s is below %(limit)s"),
    "credit_village_share": _("信用村 share %(value)s is below %(limit)s"),
    "npl_ratio": _("NPL ratio %(value)s is not below %(limit)s"),
    "no_loan_balance": _("no loan balance to measure the NPL ratio"),
    "not_rural": _("not a 行政村"),
    "not_evaluated": _("no longer evaluated"),
}


class DesignationRefused(RuleRefused):
    MESSAGES = {
        "before_last_run": _("Designations were already evaluated as of %(last)s; a new evaluation cannot be earlier."),
    }


def reason_text(reason: dict) -> str:
    """One recorded reason for a lost designation, in words."""
    text = REASON_TEXTS.get(reason.get("code"), reason.get("code", ""))
    label = Classification(reason["value"]).label_zh if reason.get("code") == "loan_past_due" else None
    params = {"value": label or reason.get("value", ""), "limit": reason.get("limit", "")}
    return str(text) % params


def thresholds_from(rules: DesignationRules) -> designation.DesignationThresholds:
    """The pure module's thresholds, mirrored from the head office's rules row (one NPL limit in the pure rules:
    the village's; a township limit that differs is applied on top, see ``_townships_evaluate``)."""
    return designation.DesignationThresholds(
        village_credit_household_share=rules.village_min_credit_household_share,
        township_credit_village_share=rules.township_min_credit_village_share,
        npl_ratio_below=rules.village_max_npl_ratio,
        rating_valid_years=rules.rating_valid_years,
        min_grade=rules.household_min_grade,
    )


@dataclass
class Outcome:
    """The subjects of one level that hold the designation, and the reasons of those that do not."""

    held: set[int] = field(default_factory=set)
    reasons: dict[int, list[dict]] = field(default_factory=dict)


@transaction.atomic
def designations_evaluate(
    *, user, as_of: datetime.date | None = None, trigger: str = DesignationRun.Trigger.ON_DEMAND
) -> DesignationRun:
    """Evaluate every household, 行政村 and township as of the date, open the periods of the newly designated
    and close, with the reasons, those of the ones that lost it. Runs one at a time (the rules row is locked)."""
    as_of = as_of or business_date_current()
    singleton_row(DesignationRules)
    rules = DesignationRules.objects.select_for_update().get(pk=DesignationRules.SINGLETON_PK)
    last = DesignationRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if last is not None and as_of < last:
        raise DesignationRefused("before_last_run", last=last.isoformat())
    thresholds = thresholds_from(rules)
    run = DesignationRun.objects.create(as_of=as_of, trigger=trigger, run_by=user)
    households, credit_by_village = _households_evaluate(as_of, thresholds)
    villages, balances = _villages_evaluate(credit_by_village, thresholds)
    townships = _townships_evaluate(villages, balances, thresholds, rules.township_max_npl_ratio)
    counts: dict[str, int] = {}
    for level, outcome in (
        (Designation.Level.HOUSEHOLD, households),
        (Designation.Level.VILLAGE, villages),
        (Designation.Level.TOWNSHIP, townships),
    ):
        counts |= _periods_apply(level, run, outcome)
    run.counts = counts
    run.save(update_fields=["counts"])
    LogEntry.objects.log_create(
        run, force_log=True, action=LogEntry.Action.CREATE, actor=user, changes={"counts": [None, counts]}
    )
    return run


def _households_evaluate(as_of: datetime.date, thresholds) -> tuple[Outcome, dict[int, int]]:
    """信用户 for every household (three streamed queries); also the 信用户 count per village."""
    ratings: dict[int, tuple[str, datetime.date]] = {}
    lines = CreditLine.objects.filter(start_date__lte=as_of).order_by("household_id", "start_date", "pk")
    for household, grade, start in lines.values_list("household_id", "grade", "start_date").iterator(5000):
        ratings[household] = (grade, start)  # the latest line wins
    classes: dict[int, list[str]] = defaultdict(list)
    past_due = (
        Loan.objects.exclude(classification=Classification.NORMAL)
        .order_by()
        .values_list("line__household_id", "classification")
        .distinct()
    )
    for household, code in past_due:
        classes[household].append(code)
    outcome, per_village = Outcome(), defaultdict(int)
    for household, village in Household.objects.order_by().values_list("pk", "village_id").iterator(5000):
        grade, rated_on = ratings.get(household, (None, None))
        worst_class = worst(classes[household]) if household in classes else None
        if designation.is_credit_household(grade, rated_on, as_of, worst_class, thresholds):
            outcome.held.add(household)
            per_village[village] += 1
        else:
            outcome.reasons[household] = _household_reasons(grade, rated_on, as_of, worst_class, thresholds)
    return outcome, per_village


def _household_reasons(grade, rated_on, as_of, worst_class, thresholds) -> list[dict]:
    if grade is None:
        reasons = [{"code": "no_rating"}]
    elif not designation.grade_at_least(grade, thresholds.min_grade):
        reasons = [{"code": "grade_below", "value": grade, "limit": thresholds.min_grade}]
    elif not designation.rating_is_valid(rated_on, as_of, thresholds.rating_valid_years):
        reasons = [{"code": "rating_expired", "value": rated_on.isoformat()}]
    else:
        reasons = []
    if worst_class is not None and worst_class != Classification.NORMAL:
        reasons.append({"code": "loan_past_due", "value": str(worst_class.value)})
    return reasons


def _villages_evaluate(credit_by_village: dict[int, int], thresholds) -> tuple[Outcome, dict[int, tuple]]:
    """信用村 for every village; also each village's township, rural flag and (NPL, loan) balances in fen."""
    profiled = dict(
        Household.objects.order_by().values("village_id").annotate(n=Count("pk")).values_list("village_id", "n")
    )
    loans = {
        village: (int(npl or 0), int(total or 0))
        for village, npl, total in Loan.objects.order_by()
        .values("line__household__village_id")
        .annotate(
            npl=Sum("outstanding_principal_fen", filter=Q(classification__in=NPL_CODES)),
            total=Sum("outstanding_principal_fen"),
        )
        .values_list("line__household__village_id", "npl", "total")
    }
    outcome, facts = Outcome(), {}
    villages = Village.objects.order_by().values_list("pk", "township_id", "is_rural", "registered_households")
    for village, township, is_rural, registered in villages:
        npl, total = loans.get(village, (0, 0))
        facts[village] = (township, is_rural, npl, total)
        if not is_rural:
            outcome.reasons[village] = [{"code": "not_rural"}]
            continue
        credit, households = credit_by_village.get(village, 0), max(registered, profiled.get(village, 0))
        if designation.is_credit_village(credit, households, npl, total, thresholds):
            outcome.held.add(village)
            continue
        outcome.reasons[village] = [
            *_share_reason("credit_household_share", credit, households, thresholds.village_credit_household_share),
            *_npl_reasons(npl, total, thresholds.npl_ratio_below),
        ]
    return outcome, facts


def _townships_evaluate(villages: Outcome, facts: dict[int, tuple], thresholds, township_npl_limit) -> Outcome:
    """信用乡镇 for every township, from its 行政村's designations and its villages' balances."""
    rural, credit, npl, total = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for village, (township, is_rural, village_npl, village_total) in facts.items():
        rural[township] += int(is_rural)
        credit[township] += int(village in villages.held)
        npl[township] += village_npl
        total[township] += village_total
    township_rules = designation.DesignationThresholds(
        village_credit_household_share=thresholds.village_credit_household_share,
        township_credit_village_share=thresholds.township_credit_village_share,
        npl_ratio_below=township_npl_limit,
        rating_valid_years=thresholds.rating_valid_years,
        min_grade=thresholds.min_grade,
    )
    outcome = Outcome()
    for township in Township.objects.order_by().values_list("pk", flat=True):
        args = (credit[township], rural[township], npl[township], total[township])
        if designation.is_credit_township(*args, township_rules):
            outcome.held.add(township)
        else:
            outcome.reasons[township] = [
                *_share_reason("credit_village_share", args[0], args[1], township_rules.township_credit_village_share),
                *_npl_reasons(args[2], args[3], township_npl_limit),
            ]
    return outcome


def _percent(part: int, whole: int) -> str:
    return f"{Decimal(part) / Decimal(whole) * 100:.2f}%" if whole else "—"


def _limit(share: Decimal) -> str:
    return f"{share * 100:.2f}%"


def _share_reason(code: str, part: int, whole: int, share: Decimal) -> list[dict]:
    if designation.share_at_least(part, whole, share):
        return []
    return [{"code": code, "value": _percent(part, whole), "limit": _limit(share)}]


def _npl_reasons(npl: int, total: int, limit: Decimal) -> list[dict]:
    if total == 0:
        return [{"code": "no_loan_balance"}]
    if Fraction(npl, total) < Fraction(limit):
        return []
    return [{"code": "npl_ratio", "value": _percent(npl, total), "limit": _limit(limit)}]


def _periods_apply(level: str, run: DesignationRun, outcome: Outcome) -> dict[str, int]:
    """Open a period for each newly held subject, close the open period of each that no longer holds."""
    subject = SUBJECT_FIELD[level]
    open_periods = dict(
        Designation.objects.filter(level=level, until__isnull=True).values_list(subject, "pk").iterator(5000)
    )
    gained = sorted(outcome.held - open_periods.keys())
    lost = sorted(open_periods.keys() - outcome.held)
    Designation.objects.bulk_create(
        [Designation(level=level, since=run.as_of, granted_run=run, **{subject: pk}) for pk in gained],
        batch_size=UPDATE_CHUNK,
    )
    by_reasons: dict[str, list[int]] = defaultdict(list)
    for pk in lost:
        reasons = outcome.reasons.get(pk) or [{"code": "not_evaluated"}]
        by_reasons[json.dumps(reasons, sort_keys=True, ensure_ascii=False)].append(open_periods[pk])
    for reasons, periods in by_reasons.items():  # subjects lost for the same reasons: one update each
        for start in range(0, len(periods), UPDATE_CHUNK):
            Designation.objects.filter(pk__in=periods[start : start + UPDATE_CHUNK]).update(
                until=run.as_of, lost_run=run, lost_reasons=json.loads(reasons)
            )
    return {f"{level}_held": len(outcome.held), f"{level}_gained": len(gained), f"{level}_lost": len(lost)}
