"""整村批量信用授信 (DOMAIN §3): campaigns, panels, rounds, blind votes, screening, proposals, notice, approval.

Money is integer fen. A vote's content is never read outside `selectors` (which refuse it before the round is
closed and to anyone but auditors after); the admin does not register votes at all.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from puhui.org.scope import ScopedQuerySet


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Campaigns of the villages in the user's scope (a village reached through two grids counts once)."""
        from puhui.org.models import Village

        return self.filter(village__in=Village.objects.visible_to(user))


class Campaign(models.Model):
    """整村授信活动: one village in one plan year, moving through its stages."""

    class Kind(models.TextChoices):
        PILOT = "pilot", _("pilot")
        ROLLOUT = "rollout", _("rollout")

    class Stage(models.TextChoices):
        LAUNCH = "launch", _("launch")
        PROFILING = "profiling", _("scanning and profiling")
        DELIBERATION = "deliberation", _("deliberation")
        NOTICE = "notice", _("public notice")
        APPROVAL = "approval", _("approval")
        SIGNING = "signing", _("signing")
        DONE = "done", _("done")

    village = models.ForeignKey("org.Village", on_delete=models.PROTECT, related_name="campaigns")
    plan_year = models.PositiveSmallIntegerField(_("plan year"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices, default=Stage.LAUNCH)
    launched_on = models.DateField(_("launched on"))
    launched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("whole-village credit campaign")
        verbose_name_plural = _("whole-village credit campaigns")
        constraints = [models.UniqueConstraint(fields=["village", "plan_year"], name="campaign_per_village_year")]

    def __str__(self) -> str:
        return f"{self.village} {self.plan_year}"


class PanelMember(models.Model):
    """评议小组成员: an evaluator account on a village's panel, with its composition and declared ties."""

    class Category(models.TextChoices):
        VILLAGE_COMMITTEE = "committee", _("village committee (村两委)")
        RESIDENT_CADRE = "cadre", _("resident cadre (驻村干部)")
        LIAISON = "liaison", _("liaison (支农联络员)")
        REPRESENTATIVE = "representative", _("villager representative (村民代表/乡贤)")
        BORROWER = "borrower", _("current borrower")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="panel")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_seats")
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    own_household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relatives = models.ManyToManyField("households.Household", blank=True, related_name="+")

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="one_seat_per_evaluator")]

    def __str__(self) -> str:
        return str(self.user)


class Round(models.Model):
    """评议批次: households put to the panel; open for blind votes until closed."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round number"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("deliberation round")
        verbose_name_plural = _("deliberation rounds")
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="round_number_per_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.number}"


class RoundHousehold(models.Model):
    """A household in a round and, once the round is closed, the panel's aggregate view of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        PASSED = "passed", _("passed")
        VETOED = "vetoed", _("refused by deliberation")
        UNDECIDED = "undecided", _("undecided (below quorum)")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="round_entries")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    counted_votes = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    panel_amount_fen = models.BigIntegerField(null=True, blank=True)
    panel_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    veto_reasons = models.JSONField(default=list, blank=True)
    high_interest_flagged = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("household in a round")
        verbose_name_plural = _("households in a round")
        constraints = [models.UniqueConstraint(fields=["round", "household"], name="household_once_per_round")]

    def __str__(self) -> str:
        return f"{self.round} {self.household}"


class Exclusion(models.Model):
    """A conflict of interest: this panel member never rates this household (own, member, relative)."""

    class Reason(models.TextChoices):
        OWN = "own", _("own household")
        MEMBER = "member", _("listed member of the household")
        RELATIVE = "relative", _("declared relative")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="exclusions")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="exclusions")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "member", "household"], name="exclusion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} ✕ {self.household}"


class Ballot(models.Model):
    """One evaluator's sheet for one round: whether (and how) it was submitted — all staff may see this."""

    class Kind(models.TextChoices):
        APP = "app", _("on the phone")
        PAPER = "paper", _("paper form")
        MEETING = "meeting", _("meeting")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="ballots")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.APP)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "member"], name="ballot_per_member")]

    def __str__(self) -> str:
        return f"{self.round} {self.member}"


class Vote(models.Model):
    """背靠背评议: one evaluator's blind vote on one household (credit/aggregate.py's Vote, stored)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    entry = models.ForeignKey(RoundHousehold, on_delete=models.CASCADE, related_name="votes")
    knows_household = models.BooleanField(null=True)
    integrity = models.CharField(max_length=10, blank=True)
    habits = models.JSONField(default=list, blank=True)
    debt = models.CharField(max_length=10, blank=True)
    informal_high_interest = models.BooleanField(default=False)
    suggested_fen = models.BigIntegerField(null=True, blank=True)
    refusal_reasons = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "entry"], name="one_vote_per_household"),
            models.CheckConstraint(condition=Q(suggested_fen__gte=0) | Q(suggested_fen__isnull=True), name="vote_fen"),
        ]

    def __str__(self) -> str:
        return f"vote #{self.pk}"  # never the content


class LprRate(models.Model):
    """一年期 LPR (or the benchmark rate before it), dated; the rate in force on a day is the latest before it."""

    effective_on = models.DateField(_("effective on"), unique=True)
    rate = models.DecimalField(_("1-year rate (%)"), max_digits=6, decimal_places=4)

    class Meta:
        verbose_name = _("one-year LPR")
        verbose_name_plural = _("one-year LPR table")
        ordering = ["-effective_on"]

    def __str__(self) -> str:
        return f"{self.effective_on} {self.rate}%"


class DeliberationRules(models.Model):
    """The bank's deliberation and granting rules (DOMAIN §3 defaults), one row in the admin."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    panel_min_size = models.PositiveSmallIntegerField(_("panel at least"), default=5)
    quorum = models.PositiveSmallIntegerField(_("quorum (counted votes)"), default=3)
    habit_veto_evaluators = models.PositiveSmallIntegerField(_("drugs/gambling veto: evaluators"), default=2)
    # refusals veto when they are more than numerator/denominator of the counted votes (exactly, as a fraction)
    refusal_veto_numerator = models.PositiveSmallIntegerField(_("refusal veto: more than (numerator)"), default=1)
    refusal_veto_denominator = models.PositiveSmallIntegerField(_("refusal veto: of (denominator)"), default=3)
    high_interest_evaluators = models.PositiveSmallIntegerField(_("high-interest grey list: evaluators"), default=2)
    borrower_age_min = models.PositiveSmallIntegerField(_("borrower age from"), default=18)
    borrower_age_max = models.PositiveSmallIntegerField(_("borrower age to"), default=65)
    past_overdue_months = models.PositiveSmallIntegerField(_("settled overdue looked back (months)"), default=24)
    notice_days = models.PositiveSmallIntegerField(_("public notice (days)"), default=7)
    branch_authority_fen = models.BigIntegerField(_("branch approves up to (fen)"), default=20_000_000)
    line_years = models.PositiveSmallIntegerField(_("line valid (years)"), default=3)

    class Meta:
        verbose_name = _("deliberation rules")
        verbose_name_plural = _("deliberation rules")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="deliberation_rules_single_row")]

    def __str__(self) -> str:
        return str(_("deliberation rules"))


class BureauRecord(models.Model):
    """征信: one person's credit-bureau facts as of a query date, from the bank's batch result file or the demo."""

    class Source(models.TextChoices):
        CSV = "csv", _("batch query result file")
        DEMO = "demo", _("demo data")

    person = models.ForeignKey("households.Person", on_delete=models.CASCADE, related_name="bureau_records")
    queried_on = models.DateField(_("queried on"))
    current_overdue = models.BooleanField(_("current overdue"), default=False)
    non_performing = models.BooleanField(_("non-performing balance"), default=False)
    serving_sentence = models.BooleanField(_("serving a sentence"), default=False)
    drug_record = models.BooleanField(_("drug record"), default=False)
    litigation_defendant = models.BooleanField(_("defendant in litigation"), default=False)
    settled_overdue_on = models.DateField(_("last overdue settled on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_file = models.CharField(_("file"), max_length=255, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit-bureau record")
        verbose_name_plural = _("credit-bureau records")
        constraints = [models.UniqueConstraint(fields=["person", "queried_on"], name="bureau_record_per_day")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.queried_on}"


class Notice(models.Model):
    """公示: the proposed list posted in the village for the notice period, with the objection phone."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="notices")
    starts_on = models.DateField(_("posted on"))
    ends_on = models.DateField(_("notice ends on"))
    objection_phone = models.CharField(_("objection phone"), max_length=20)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self) -> str:
        return f"{self.campaign} {self.starts_on}–{self.ends_on}"


class ApprovalBatch(models.Model):
    """整村授信批量审批: one village batch submitted by the account manager (maker) to a checker."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("awaiting approval")
        DECIDED = "decided", _("decided")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="batches")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)

    class Meta:
        verbose_name = _("approval batch")
        verbose_name_plural = _("approval batches")

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk}"


class ProposalQuerySet(ScopedQuerySet):
    village_path = "household__village"
    manager_lookup = "household__grid__account_manager"


class Proposal(models.Model):
    """授信建议: one household of a campaign from screening and rating to its signed, active line."""

    class Screen(models.TextChoices):
        WHITE = "white", _("white list")
        GREY = "grey", _("grey list")
        BLACK = "black", _("black list")

    class Status(models.TextChoices):
        GREY_PENDING = "grey_pending", _("grey list: awaiting a decision")
        REFUSED = "refused", _("refused")
        NO_CREDIT = "no_credit", _("rated below grade A")
        PROPOSED = "proposed", _("proposed")
        OBJECTED = "objected", _("objection open")
        SUBMITTED = "submitted", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SIGNED = "signed", _("signed, line active")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="proposals")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="proposals")
    entry = models.ForeignKey(RoundHousehold, on_delete=models.PROTECT, related_name="proposals")
    borrower = models.ForeignKey("households.Person", on_delete=models.PROTECT, null=True, related_name="+")
    screen = models.CharField(_("list"), max_length=5, choices=Screen.choices)
    screen_reasons = models.JSONField(default=list, blank=True)
    grey_decision = models.CharField(max_length=10, blank=True)  # "accept" / "refuse", with a written reason
    grey_reason = models.TextField(blank=True)
    grey_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=3, blank=True)
    score_items = models.JSONField(default=list, blank=True)  # [[item, points, reason code], …]
    limit_fen = models.BigIntegerField(_("limit (fen)"), default=0)
    limit_reason = models.CharField(max_length=30, blank=True)
    rate = models.DecimalField(_("annual rate (%)"), max_digits=7, decimal_places=4, null=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals")
    batch = models.ForeignKey(ApprovalBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    contract_number = models.CharField(_("contract number"), max_length=40, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    line = models.OneToOneField("credit.CreditLine", on_delete=models.PROTECT, null=True, related_name="proposal")
    verification_code = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit proposal")
        verbose_name_plural = _("credit proposals")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="proposal_per_household_campaign"),
            models.CheckConstraint(condition=Q(limit_fen__gte=0, limit_fen__lte=30_000_000), name="proposal_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.grade} {self.limit_fen / 100:.2f}"


class Objection(models.Model):
    """异议: recorded during the notice; the household goes back to review until it is resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="objections")
    raised_on = models.DateField(_("raised on"))
    content = models.TextField(_("objection"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.proposal} {self.status}"
