"""背靠背评议 on the evaluator's phone: their open rounds, one household card at a time (autosaved through
htmx, a plain submit without JS), then the submission.

Blind: an evaluator reaches only rounds of panels they sit on (404 otherwise) and only the households they may
rate (conflicts excluded, card positions skip them); the only votes these pages read are the evaluator's own
(`selectors.own_votes`), shown back to them while the ballot is still open. Vote content never goes into a
message other than the evaluator's own page, nor into a log line or an error report (sensitive POST data).
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from puhui.core.ids import mask_name_public
from puhui.deliberation import selectors, services
from puhui.deliberation.errors import DeliberationRefused
from puhui.deliberation.forms_evaluator import (
    DEBT_CHOICES,
    HABIT_CHOICES,
    INTEGRITY_CHOICES,
    REFUSAL_REASONS,
    YES_NO,
    VoteForm,
)
from puhui.deliberation.models import Ballot, PanelMember, Round, RoundHousehold, Vote
from puhui.households.models import Person, Photo
from puhui.org import roles


def evaluator_required(view):
    """Evaluator pages: anonymous → login; an authenticated user without the evaluator role → 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(roles.EVALUATOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@dataclass
class Sheet:
    """One evaluator's sheet of one round: their seat, ballot, households to rate and own votes."""

    round: Round
    member: PanelMember
    ballot: Ballot
    entries: list[RoundHousehold]
    votes: dict[int, Vote] = field(repr=False)  # own votes only, entry id → vote

    @property
    def submitted(self) -> bool:
        return self.ballot.submitted_at is not None

    @property
    def rated(self) -> int:
        return sum(entry.pk in self.votes for entry in self.entries)

    @property
    def missing(self) -> list[tuple[int, RoundHousehold]]:
        """(card position, entry) of the households without a vote yet."""
        return [(n, e) for n, e in enumerate(self.entries, start=1) if e.pk not in self.votes]

    def entry(self, n: int) -> RoundHousehold:
        """The household at card position n (1-based); excluded households have no position."""
        if not 1 <= n <= len(self.entries):
            raise Http404
        return self.entries[n - 1]


def _round(round_id: int) -> Round:
    return get_object_or_404(Round.objects.select_related("campaign__village"), pk=round_id)


def _sheet_of(user, round_: Round) -> Sheet:
    """The user's sheet of an open round they sit on; 404 otherwise."""
    member = selectors.evaluator_seat(user, round_)
    # a member seated after the round opened has no ballot in it: the round is not theirs
    ballot = next((b for b in selectors.round_submissions(round_) if b.member_id == member.pk), None)
    if ballot is None:
        raise Http404
    return Sheet(
        round_, member, ballot, selectors.evaluator_entries(member, round_), selectors.own_votes(member, round_)
    )


def _sheet(request, round_id: int) -> Sheet:
    return _sheet_of(request.user, _round(round_id))


def _round_label(round_: Round) -> str:
    return _("Round %(number)s") % {"number": round_.number}


# ---- the list of rounds --------------------------------------------------------------------------------


@evaluator_required
@require_GET
def round_list(request):
    """评议任务: the evaluator's open rounds with their progress."""
    rows = []
    for round_ in selectors.evaluator_rounds(request.user):
        try:
            sheet = _sheet_of(request.user, round_)
        except Http404:
            continue
        rows.append({"sheet": sheet, "village": round_.campaign.village, "label": _round_label(round_)})
    return render(request, "deliberation/evaluator/list.html", {"rows": rows})


@evaluator_required
@require_GET
def round_start(request, round_id: int):
    """Resume: the first household without a vote, or the submission page once every one is rated."""
    sheet = _sheet(request, round_id)
    if sheet.submitted:
        return redirect("evaluate-done", round_id=round_id)
    missing = sheet.missing
    if not missing:
        return redirect("evaluate-submit", round_id=round_id)
    return redirect("evaluate-card", round_id=round_id, n=missing[0][0])


# ---- one household card --------------------------------------------------------------------------------


@dataclass
class Status:
    """What the card says: saved / empty / incomplete / invalid / refused, or submitted (read-only)."""

    state: str
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    message: str = ""
    kept: bool = False  # an earlier complete vote stays saved while the card is unfinished
    code: str = ""


def _options(choices, selected) -> list[tuple[str, str, bool]]:
    chosen = set(selected) if isinstance(selected, list | tuple) else {selected}
    return [(value, label, value in chosen) for value, label in choices]


def _household_facts(entry: RoundHousehold) -> dict:
    household = entry.household
    # names and relations only: the encrypted ID numbers and phones are not even loaded
    members = list(Person.objects.filter(household=household).values_list("relation", "name"))
    head = next((name for relation, name in members if relation == Person.Relation.HEAD), "")
    return {
        "household": household,
        "head_name": mask_name_public(head) if head else "—",
        "size": len(members),
        "land": "—" if household.land_area_mu is None else household.land_area_mu,
        "photos": list(Photo.objects.filter(household=household).only("pk", "kind", "household_id")),
    }


def _form_values(form: VoteForm) -> dict:
    return {name: form[name].value() for name in form.fields}


def _card_page(request, sheet: Sheet, n: int, form: VoteForm | None, status: Status):
    entry = sheet.entry(n)
    total = len(sheet.entries)
    values = _form_values(form) if form is not None else {}
    amount_text = (values.get("amount") or "").strip()
    context = {
        "sheet": sheet,
        "round_label": _round_label(sheet.round),
        "village": sheet.round.campaign.village,
        "n": n,
        "total": total,
        "percent": round(100 * n / total) if total else 0,
        "is_last": n == total,
        "rated": sheet.rated,
        "form": form,
        "status": status,
        "read_only": form is None,
        "knows": values.get("knows"),
        "refusing": bool(amount_text) and amount_text.strip("0") in ("", "."),
        "amount": amount_text,
        "knows_options": _options(YES_NO, values.get("knows")),
        "integrity_options": _options(INTEGRITY_CHOICES, values.get("integrity")),
        "habit_options": _options(HABIT_CHOICES, values.get("habits") or []),
        "debt_options": _options(DEBT_CHOICES, values.get("debt")),
        "high_interest_options": _options(YES_NO, values.get("high_interest")),
        "reason_options": _options(REFUSAL_REASONS, values.get("refusal_reasons") or []),
        "save_url": reverse("evaluate-save", kwargs={"round_id": sheet.round.pk, "n": n}),
        **_household_facts(entry),
    }
    return render(request, "deliberation/evaluator/card.html", context)


@sensitive_variables()
@never_cache
@evaluator_required
@require_GET
def card(request, round_id: int, n: int):
    """One household: its facts and the evaluator's own answers (read-only, without them, once submitted)."""
    sheet = _sheet(request, round_id)
    entry = sheet.entry(n)
    if sheet.submitted:
        refusal = DeliberationRefused("ballot_submitted").message
        return _card_page(request, sheet, n, None, Status("submitted", message=refusal))
    vote = sheet.votes.get(entry.pk)
    form = VoteForm(initial=VoteForm.initial_from(vote))
    return _card_page(request, sheet, n, form, Status("saved") if vote else Status("empty"))


def _refusal_text(exc: DeliberationRefused) -> str:
    # invalid_vote's detail is the rule's own English text and may quote the answers: never shown or kept
    if exc.code == "invalid_vote":
        return _("These answers do not form a vote yet; check them.")
    return exc.message


@sensitive_variables()
def _vote_save(user, sheet: Sheet, entry: RoundHousehold, form: VoteForm, *, explicit: bool) -> Status:
    """Save the card when it is a whole vote; otherwise say what it still lacks (nothing saved)."""
    kept = entry.pk in sheet.votes
    if not form.is_valid():
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return Status("invalid", errors=errors, kept=kept)
    missing = form.missing()
    if missing:
        return Status("incomplete", missing=missing if explicit else [], kept=kept)
    try:
        vote = services.vote_save(user=user, entry_id=entry.pk, answers=form.answers())
    except DeliberationRefused as exc:
        return Status("refused", message=_refusal_text(exc), kept=kept, code=exc.code)
    sheet.votes[entry.pk] = vote
    return Status("saved")


def _target(sheet: Sheet, n: int, go: str) -> str:
    round_id = sheet.round.pk
    if go == "prev" and n > 1:
        return reverse("evaluate-card", kwargs={"round_id": round_id, "n": n - 1})
    if go == "submit" or (go == "next" and n >= len(sheet.entries)):
        return reverse("evaluate-submit", kwargs={"round_id": round_id})
    if go == "next":
        return reverse("evaluate-card", kwargs={"round_id": round_id, "n": n + 1})
    return reverse("evaluate-card", kwargs={"round_id": round_id, "n": n})


def _closed_refusal(request, round_: Round):
    """A save on a closed round: the evaluator on its panel is told so; anyone else gets a 404."""
    if not PanelMember.objects.filter(campaign_id=round_.campaign_id, user=request.user).exists():
        raise Http404
    message = DeliberationRefused("round_closed").message
    if request.htmx:
        return render(
            request, "deliberation/evaluator/_save_status.html", {"status": Status("refused", message=message)}
        )
    messages.error(request, message)
    return redirect("evaluate-list")


@sensitive_post_parameters()
@sensitive_variables()
@never_cache
@evaluator_required
@require_POST
def card_save(request, round_id: int, n: int):
    """Autosave (htmx: every change posts the whole card) or the plain submit that saves and moves on."""
    round_ = _round(round_id)
    if round_.status != Round.Status.OPEN:
        return _closed_refusal(request, round_)
    sheet = _sheet_of(request.user, round_)
    entry = sheet.entry(n)
    form = VoteForm(request.POST)
    status = _vote_save(request.user, sheet, entry, form, explicit=not request.htmx)
    if request.htmx:
        context = {"status": status, "rated": sheet.rated, "oob": True}
        return render(request, "deliberation/evaluator/_save_status.html", context)
    if status.code == "ballot_submitted":
        messages.error(request, status.message)
        return redirect("evaluate-card", round_id=round_id, n=n)
    go = request.POST.get("go", "next")
    blocked = status.state in ("invalid", "refused") or (status.state == "incomplete" and form.started())
    if blocked and go != "skip":
        return _card_page(request, sheet, n, form, status)
    return redirect(_target(sheet, n, "next" if go == "skip" else go))


@evaluator_required
@require_GET
def card_photo(request, round_id: int, n: int, photo_id: int):
    """A thumbnail of the household on this card (the staff photo URLs are not the evaluator's)."""
    entry = _sheet(request, round_id).entry(n)
    photo = get_object_or_404(Photo, pk=photo_id, household_id=entry.household_id)
    try:
        handle = photo.thumbnail.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---- submission ----------------------------------------------------------------------------------------


def _submit_context(sheet: Sheet, refusal: str = "") -> dict:
    abstained = sum(
        1 for entry in sheet.entries if entry.pk in sheet.votes and not sheet.votes[entry.pk].knows_household
    )
    return {
        "sheet": sheet,
        "round_label": _round_label(sheet.round),
        "village": sheet.round.campaign.village,
        "total": len(sheet.entries),
        "rated": sheet.rated,
        "abstained": abstained,
        "missing": [{"n": n, "number": entry.household.number} for n, entry in sheet.missing],
        "refusal": refusal,
    }


@never_cache
@evaluator_required
@require_http_methods(["GET", "POST"])
def submit(request, round_id: int):
    """提交: how many are rated and missing; POST submits the ballot (it can no longer change)."""
    sheet = _sheet(request, round_id)
    if sheet.submitted:
        return redirect("evaluate-done", round_id=round_id)
    if request.method == "POST":
        try:
            services.ballot_submit(user=request.user, round_id=round_id)
        except DeliberationRefused as exc:
            if exc.code == "ballot_submitted":  # a double tap: the first one submitted
                return redirect("evaluate-done", round_id=round_id)
            return render(request, "deliberation/evaluator/submit.html", _submit_context(sheet, exc.message))
        return redirect("evaluate-done", round_id=round_id)
    return render(request, "deliberation/evaluator/submit.html", _submit_context(sheet))


@evaluator_required
@require_GET
def done(request, round_id: int):
    """The success page after the submission."""
    sheet = _sheet(request, round_id)
    if not sheet.submitted:
        return redirect("evaluate-submit", round_id=round_id)
    context = {"sheet": sheet, "round_label": _round_label(sheet.round), "village": sheet.round.campaign.village}
    return render(request, "deliberation/evaluator/done.html", context)
