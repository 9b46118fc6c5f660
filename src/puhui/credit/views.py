"""Credit-line pages: a farmer's own line on the phone (用信 / 还款), and the staff line page with counter and
door postings and printable receipts. Every money post goes amount → confirmation → one service call, once
per one-time token (the token is also the Idempotency-Key, so a double tap posts once)."""

import secrets
from functools import wraps
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from puhui.core.errors import ApiError
from puhui.core.idempotency import HEADER_META_KEY, run_once
from puhui.core.ids import fen_to_yuan_str
from puhui.core.selectors import business_date_current
from puhui.credit import selectors, services
from puhui.credit.api import rate_text
from puhui.credit.errors import CreditRefused
from puhui.credit.forms import AmountForm, DrawForm, StaffDrawForm, StaffRepayForm
from puhui.credit.models import Account, CreditLine, Journal, Loan
from puhui.org import roles
from puhui.web.views import staff_required

PENDING_KEY = "credit_pending"
PENDING_KEEP = 5
DRAW, REPAY = "draw", "repay"
LINES_PER_PAGE = 50


def yuan(fen: int) -> str:
    """Integer fen as '20,000.00' (thousands separators, two decimals)."""
    return fen_to_yuan_str(fen, grouped=True)


def farmer_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(roles.FARMER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _may_post(user) -> bool:
    """Counter and door postings are the account manager's (API.md CHANNELS_BY_ROLE)."""
    return user.has_role(roles.ACCOUNT_MANAGER)


# ---- what the pages show -------------------------------------------------------------------------------


def _line_summary(line: CreditLine) -> dict:
    owed = selectors.line_amounts_owed(line, business_date_current())
    return {
        "due_now": yuan(owed.due_now_fen),
        "has_due_now": owed.due_now_fen > 0,
        "payoff": yuan(owed.payoff_fen),
        "line": line,
        "limit": yuan(line.limit_fen),
        "available": yuan(line.available_fen),
        "outstanding": yuan(line.outstanding_principal_fen),
        "accrued_interest": yuan(selectors.line_accrued_interest_fen(line)),
        "rate": rate_text(line.rate),
        "can_draw": line.status == CreditLine.Status.ACTIVE and line.available_fen > 0,
        "can_repay": owed.payoff_fen > 0,
        "loans": [
            {
                "loan": loan,
                "principal": yuan(loan.principal_fen),
                "outstanding": yuan(loan.outstanding_principal_fen),
                "rate": rate_text(loan.rate),
                "interest": yuan(loan.interest_unpaid_fen),
            }
            for loan in line.loans.order_by("drawn_on", "pk")
        ],
        "statement": [
            {
                "date": entry.date,
                "kind": Journal.Kind(entry.kind).label,
                "kind_code": entry.kind,
                "amount": yuan(entry.amount_fen),
                "principal_after": yuan(entry.principal_after_fen),
                "interest_after": yuan(entry.interest_after_fen),
            }
            for entry in selectors.line_statement(line)
        ],
    }


def _postings(line: CreditLine) -> list[dict]:
    """Drawdowns and repayments on the line, newest first, with the customer's amount and receipt link."""
    settlement = Q(legs__account__code=Account.Code.CUSTOMER_SETTLEMENT)
    journals = (
        line.journals.filter(kind__in=[Journal.Kind.DRAWDOWN, Journal.Kind.REPAYMENT])
        .annotate(settled_fen=Sum("legs__amount_fen", filter=settlement), channel=Max("legs__loan__channel"))
        .select_related("actor")
        .order_by("-pk")
    )
    return [
        {
            "journal": journal,
            "amount": yuan(abs(journal.settled_fen or 0)),
            "channel": Loan.Channel(journal.channel).label if journal.kind == Journal.Kind.DRAWDOWN else "",
        }
        for journal in journals
    ]


def _line_scoped(request, pk: int) -> CreditLine:
    return selectors.line_get(user=request.user, pk=pk)


# ---- the one-time token of a confirmation --------------------------------------------------------------


def _pending_put(request, *, line: CreditLine, action: str, amount_fen: int, channel: str, purpose: str) -> str:
    token = secrets.token_urlsafe(18)
    pending = dict(list(request.session.get(PENDING_KEY, {}).items())[-(PENDING_KEEP - 1) :])
    pending[token] = {
        "line": line.pk,
        "action": action,
        "amount_fen": amount_fen,
        "channel": channel,
        "purpose": purpose,
    }
    request.session[PENDING_KEY] = pending
    return token


def _pending_get(request, line: CreditLine, token: str) -> dict | None:
    entry = request.session.get(PENDING_KEY, {}).get(token)
    return entry if entry and entry["line"] == line.pk else None


def _pending_drop(request, token: str) -> None:
    pending = request.session.get(PENDING_KEY, {})
    if pending.pop(token, None) is not None:
        request.session[PENDING_KEY] = pending


def _service_post(user, entry: dict) -> int:
    """Call the money service; the journal it wrote (the line stays locked until the transaction ends)."""
    if entry["action"] == DRAW:
        loan = services.line_drawdown(
            user=user,
            line_id=entry["line"],
            amount_fen=entry["amount_fen"],
            channel=entry["channel"],
            purpose=entry["purpose"],
        )
        return Journal.objects.filter(kind=Journal.Kind.DRAWDOWN, legs__loan=loan).values_list("pk", flat=True)[0]
    services.line_repay(user=user, line_id=entry["line"], amount_fen=entry["amount_fen"], channel=entry["channel"])
    return Journal.objects.filter(line_id=entry["line"], kind=Journal.Kind.REPAYMENT).latest("pk").pk


def _post_once(request, token: str, entry: dict) -> int:
    """Post once per token: two taps that both passed the session check meet at the unique key."""
    keyed = SimpleNamespace(META={HEADER_META_KEY: f"web-{token}"}, method="POST", path=request.path, user=request.user)
    _status, body = run_once(keyed, entry, lambda: (201, {"journal_id": _service_post(request.user, entry)}))
    return body["journal_id"]


def _posted_message(entry: dict) -> str:
    if entry["action"] == DRAW:
        return _("Drawdown of %(amount)s yuan posted.") % {"amount": yuan(entry["amount_fen"])}
    return _("Repayment of %(amount)s yuan posted.") % {"amount": yuan(entry["amount_fen"])}


def _confirm_context(line: CreditLine, entry: dict, token: str) -> dict:
    amount_fen = entry["amount_fen"]
    after_fen = line.available_fen - amount_fen if entry["action"] == DRAW else line.available_fen + amount_fen
    return {
        "line": line,
        "token": token,
        "action": entry["action"],
        "amount": yuan(amount_fen),
        "channel": Loan.Channel(entry["channel"]).label,
        "purpose": entry["purpose"],
        "rate": rate_text(line.rate),
        "rate_percent": f"{rate_text(line.rate)}%",
        "term_months": selectors.credit_rules().loan_term_months,
        "available": yuan(line.available_fen),
        "outstanding": yuan(line.outstanding_principal_fen),
        "available_after": yuan(max(after_fen, 0)),
    }


def _confirm_post(request, line: CreditLine, token: str, entry: dict):
    """Post the confirmed entry: None when done, or the refusal message (nothing posted)."""
    try:
        _post_once(request, token, entry)
    except CreditRefused as exc:
        _pending_drop(request, token)
        return exc.message
    except ApiError:  # the other tap is still being posted: it will be the one posting
        messages.info(request, _("This request is already being processed; nothing more was posted."))
        return None
    _pending_drop(request, token)
    messages.success(request, _posted_message(entry))
    return None


def _refused_form(form_class, prefix: str | None, entry: dict, refusal: str):
    """The amount form again, filled with what was refused and carrying the service's message."""
    values = {"amount": f"{entry['amount_fen'] // 100}.{entry['amount_fen'] % 100:02d}", **entry}
    form = form_class(prefix=prefix)
    form = form_class({form.add_prefix(name): values.get(name, "") for name in form.fields}, prefix=prefix)
    form.is_valid()
    form.add_error(None, refusal)
    return form


def _already_handled(request) -> None:
    messages.info(request, _("This request was already handled or has expired; nothing more was posted."))


# ---- farmer pages --------------------------------------------------------------------------------------


@farmer_required
@require_GET
def my_credit(request):
    """我的授信: the household's line(s), loans and history."""
    lines = selectors.line_list(user=request.user).select_related("household", "borrower")
    return render(request, "credit/my_credit.html", {"summaries": [_line_summary(line) for line in lines]})


def _my_amount(request, pk: int, action: str):
    line = _line_scoped(request, pk)
    form_class = DrawForm if action == DRAW else AmountForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = _pending_put(
            request,
            line=line,
            action=action,
            amount_fen=form.cleaned_data["amount"],
            channel=Loan.Channel.MOBILE,
            purpose=form.cleaned_data.get("purpose", ""),
        )
        return redirect("my-credit-confirm", pk=line.pk, token=token)
    return _my_amount_page(request, line, action, form)


def _my_amount_page(request, line, action, form):
    context = {"form": form, "action": action, **_line_summary(line)}
    return render(request, "credit/my_amount.html", context)


@farmer_required
@require_http_methods(["GET", "POST"])
def my_draw(request, pk: int):
    return _my_amount(request, pk, DRAW)


@farmer_required
@require_http_methods(["GET", "POST"])
def my_repay(request, pk: int):
    return _my_amount(request, pk, REPAY)


@farmer_required
@require_http_methods(["GET", "POST"])
def my_confirm(request, pk: int, token: str):
    line = _line_scoped(request, pk)
    entry = _pending_get(request, line, token)
    if entry is None:
        _already_handled(request)
        return redirect("my-credit")
    if request.method == "GET":
        return render(request, "credit/my_confirm.html", _confirm_context(line, entry, token))
    refusal = _confirm_post(request, line, token, entry)
    if refusal is None:
        return redirect("my-credit")
    form = _refused_form(DrawForm if entry["action"] == DRAW else AmountForm, None, entry, refusal)
    return _my_amount_page(request, line, entry["action"], form)


# ---- staff pages ---------------------------------------------------------------------------------------


@staff_required
@require_GET
def line_list(request):
    status = request.GET.get("status") or None
    if status not in CreditLine.Status.values:
        status = None
    lines = selectors.line_list(user=request.user, status=status).select_related(
        "household", "household__village", "borrower"
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"line": line, "limit": yuan(line.limit_fen), "outstanding": yuan(line.outstanding_principal_fen)}
        for line in page
    ]
    context = {"page": page, "rows": rows, "status": status or "", "statuses": CreditLine.Status.choices}
    return render(request, "credit/line_list.html", context)


def _detail_page(request, line: CreditLine, *, draw_form=None, repay_form=None):
    can_post = _may_post(request.user)
    context = {
        **_line_summary(line),
        "postings": _postings(line),
        "can_post": can_post,
        "draw_form": (draw_form or StaffDrawForm(prefix=DRAW)) if can_post else None,
        "repay_form": (repay_form or StaffRepayForm(prefix=REPAY)) if can_post else None,
    }
    return render(request, "credit/line_detail.html", context)


@staff_required
@require_GET
def line_detail(request, pk: int):
    return _detail_page(request, _line_scoped(request, pk))


def _staff_amount(request, pk: int, action: str):
    line = _line_scoped(request, pk)
    if not _may_post(request.user):
        raise PermissionDenied
    form_class = StaffDrawForm if action == DRAW else StaffRepayForm
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail_page(request, line, **{f"{action}_form": form})
    token = _pending_put(
        request,
        line=line,
        action=action,
        amount_fen=form.cleaned_data["amount"],
        channel=form.cleaned_data["channel"],
        purpose=form.cleaned_data.get("purpose", ""),
    )
    return redirect("credit-line-confirm", pk=line.pk, token=token)


@staff_required
@require_POST
def line_draw(request, pk: int):
    return _staff_amount(request, pk, DRAW)


@staff_required
@require_POST
def line_repay(request, pk: int):
    return _staff_amount(request, pk, REPAY)


@staff_required
@require_http_methods(["GET", "POST"])
def line_confirm(request, pk: int, token: str):
    line = _line_scoped(request, pk)
    if not _may_post(request.user):
        raise PermissionDenied
    entry = _pending_get(request, line, token)
    if entry is None:
        _already_handled(request)
        return redirect("credit-line-detail", pk=line.pk)
    if request.method == "GET":
        return render(request, "credit/line_confirm.html", _confirm_context(line, entry, token))
    refusal = _confirm_post(request, line, token, entry)
    if refusal is None:
        return redirect("credit-line-detail", pk=line.pk)
    action = entry["action"]
    form = _refused_form(StaffDrawForm if action == DRAW else StaffRepayForm, action, entry, refusal)
    return _detail_page(request, line, **{f"{action}_form": form})


@staff_required
@require_GET
def line_receipt(request, pk: int, journal_id: int):
    """回单: one posting, printable."""
    line = _line_scoped(request, pk)
    journal = get_object_or_404(line.journals.select_related("actor"), pk=journal_id)
    legs = list(journal.legs.select_related("account", "loan"))
    by_code = {}
    for leg in legs:
        by_code[leg.account.code] = by_code.get(leg.account.code, 0) + leg.amount_fen
    loan = next((leg.loan for leg in legs if leg.loan is not None), None)
    context = {
        "line": line,
        "household": line.household,
        "borrower": line.borrower,
        "bank": line.household.village.township.bank,
        "journal": journal,
        "amount": yuan(abs(by_code.get(Account.Code.CUSTOMER_SETTLEMENT, 0))),
        "principal": yuan(abs(by_code.get(Account.Code.LOAN_PRINCIPAL, 0))),
        "interest": yuan(abs(by_code.get(Account.Code.INTEREST_RECEIVABLE, 0))),
        "loan": loan if journal.kind == Journal.Kind.DRAWDOWN else None,
    }
    return render(request, "credit/receipt.html", context)
