"""Credit lines in the API (API.md): lines, loans, drawdowns and repayments (idempotent), statement,
trial balance. Money is a string with two decimals."""

import json
from decimal import Decimal

from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from puhui.core.api import ErrorOut, require_role
from puhui.core.errors import ApiError, forbidden
from puhui.core.idempotency import idempotency_key_valid, run_once
from puhui.core.ids import InvalidValue, fen_to_yuan_str, money_to_fen
from puhui.credit import selectors, services
from puhui.credit.errors import CreditRefused
from puhui.credit.models import CreditLine, Loan
from puhui.org import roles
from puhui.org import selectors as org_selectors

router = Router(tags=["credit"])

# Who may use which channel (API.md): a farmer on own devices, an account manager at the counter or door.
CHANNELS_BY_ROLE = {
    roles.FARMER: {Loan.Channel.MOBILE, Loan.Channel.ONLINE},
    roles.ACCOUNT_MANAGER: {Loan.Channel.COUNTER, Loan.Channel.FIELD, Loan.Channel.AGENT},
}
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class LineOut(Schema):
    id: int
    household: int
    limit: str
    available: str
    outstanding_principal: str
    status: str
    grade: str
    rate: str
    start_date: str
    end_date: str


class LoanOut(Schema):
    id: int
    principal: str
    outstanding_principal: str
    rate: str
    drawn_on: str
    maturity: str
    channel: str
    dpd: int
    classification: str


class LineDetailOut(LineOut):
    accrued_interest: str
    loans: list[LoanOut]


class LineFilter(Schema):
    status: CreditLine.Status | None = None
    village: str | None = Field(None, pattern=r"^\d{12}$")


class DrawdownIn(Schema):
    amount: str = Field(max_length=32)
    channel: Loan.Channel
    purpose: str = Field("", max_length=60)


class RepaymentIn(Schema):
    amount: str = Field(max_length=32)
    channel: Loan.Channel


class DrawdownOut(Schema):
    loan_id: int
    line: LineOut


class Allocated(Schema):
    penalty: str
    overdue_interest: str
    interest: str
    principal: str


class RepaymentOut(Schema):
    allocated: Allocated
    line: LineOut


class StatementEntryOut(Schema):
    date: str
    kind: str
    amount: str
    principal_after: str
    interest_after: str


class StatementOut(Schema):
    entries: list[StatementEntryOut]


class TrialBalanceOut(Schema):
    debits: str
    credits: str
    balanced: bool
    principal_control: str
    loans_outstanding: str


def rate_text(rate: Decimal) -> str:
    """'4.85' from Decimal('4.8500'): at least two decimals, no trailing zeros beyond them."""
    text = f"{rate.normalize():f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def line_out(line: CreditLine) -> dict:
    return {
        "id": line.pk,
        "household": line.household_id,
        "limit": fen_to_yuan_str(line.limit_fen),
        "available": fen_to_yuan_str(line.available_fen),
        "outstanding_principal": fen_to_yuan_str(line.outstanding_principal_fen),
        "status": line.status,
        "grade": line.grade,
        "rate": rate_text(line.rate),
        "start_date": line.start_date.isoformat(),
        "end_date": line.end_date.isoformat(),
    }


def loan_out(loan: Loan) -> dict:
    return {
        "id": loan.pk,
        "principal": fen_to_yuan_str(loan.principal_fen),
        "outstanding_principal": fen_to_yuan_str(loan.outstanding_principal_fen),
        "rate": rate_text(loan.rate),
        "drawn_on": loan.drawn_on.isoformat(),
        "maturity": loan.maturity.isoformat(),
        "channel": loan.channel,
        "dpd": loan.dpd,
        "classification": loan.classification,
    }


def _reader(request) -> None:
    if not (request.user.is_bank_staff or request.user.has_role(roles.FARMER)):
        raise forbidden()


@router.get("/credit-lines", response={200: list[LineOut], **ERRORS})
def credit_lines(request, filters: Query[LineFilter]):
    """Lines in your scope (a farmer: own household's), by status and village — for staff a village outside their
    scope is not found (404), as `GET /villages?township=` answers for a township."""
    _reader(request)
    if filters.village is not None and request.user.is_bank_staff:
        org_selectors.village_get(user=request.user, code=filters.village)
    status = filters.status.value if filters.status else None
    return [
        line_out(line) for line in selectors.line_list(user=request.user, status=status, village_code=filters.village)
    ]


@router.get("/credit-lines/{line_id}", response={200: LineDetailOut, **ERRORS})
def credit_line(request, line_id: int):
    """One line with its unpaid accrued interest and its loans."""
    _reader(request)
    line = selectors.line_get(user=request.user, pk=line_id)
    return {
        **line_out(line),
        "accrued_interest": fen_to_yuan_str(selectors.line_accrued_interest_fen(line)),
        "loans": [loan_out(loan) for loan in line.loans.order_by("drawn_on", "pk")],
    }


def _money_user(request, line_id: int, channel: str, amount: str) -> None:
    """The caller may move money on this line through this channel, or the request is refused: 403 without a
    money role, 404 for a line out of scope, then 403 for a channel the role may not use.

    The scope is checked here only when a refusal must follow it (a channel not allowed, an Idempotency-Key
    missing, an invalid amount); otherwise the posting's locked read checks it (`visible_to`), saving the
    money path a query."""
    allowed = set().union(*(CHANNELS_BY_ROLE[r] for r in CHANNELS_BY_ROLE if request.user.has_role(r)))
    if not allowed:
        raise forbidden()
    if channel in allowed and idempotency_key_valid(request) and _amount_valid(amount):
        return
    if not selectors.line_visible(user=request.user, pk=line_id):
        raise Http404
    if channel not in allowed:
        raise ApiError(403, "channel_not_allowed", _refused_message("invalid_channel"))


def _refused_message(code: str) -> str:
    return CreditRefused(code).message


def _amount_valid(text: str) -> bool:
    try:
        return _amount_fen(text) > 0
    except CreditRefused:
        return False


def _amount_fen(text: str) -> int:
    try:
        amount = money_to_fen(text)
    except InvalidValue:
        raise CreditRefused("invalid_amount") from None
    if amount <= 0:
        raise CreditRefused("invalid_amount")
    return amount


def _money_request(request, payload: Schema, act) -> HttpResponse:
    """Run a money action once per Idempotency-Key; a refused rule answers 422 with its code.

    The answer is the body `act` built (in the shape of the operation's response schema, which the tests
    check), rendered as it is: a replay answers the same bytes, whatever order the database kept its keys in."""
    try:
        status, body = run_once(request, payload.model_dump(mode="json"), act)
    except CreditRefused as exc:
        raise _refusal(exc) from exc
    except CreditLine.DoesNotExist:  # out of the caller's scope (`visible_to`), or no such line
        raise Http404 from None
    content = json.dumps(body, ensure_ascii=False, sort_keys=True)
    return HttpResponse(content, status=status, content_type="application/json; charset=utf-8")


def _refusal(exc: CreditRefused) -> ApiError:
    details = {k: fen_to_yuan_str(v) if isinstance(v, int) else v for k, v in exc.details.items()}
    return ApiError(422, exc.code, exc.message, details)


@router.post("/credit-lines/{line_id}/drawdowns", response={201: DrawdownOut, **ERRORS})
def drawdown(request, line_id: int, payload: DrawdownIn):
    """用信: a loan on the line. Requires an Idempotency-Key header."""
    _money_user(request, line_id, payload.channel, payload.amount)

    def act() -> tuple[int, dict]:
        loan = services.line_drawdown(
            user=request.user,
            line_id=line_id,
            amount_fen=_amount_fen(payload.amount),
            channel=payload.channel,
            purpose=payload.purpose,
            visible_to=request.user,
        )
        return 201, {"loan_id": loan.pk, "line": line_out(loan.line)}

    return _money_request(request, payload, act)


@router.post("/credit-lines/{line_id}/repayments", response={201: RepaymentOut, **ERRORS})
def repayment(request, line_id: int, payload: RepaymentIn):
    """还款: allocated penalty → overdue interest → interest → principal. Requires an Idempotency-Key header."""
    _money_user(request, line_id, payload.channel, payload.amount)

    def act() -> tuple[int, dict]:
        posted = services.line_repayment_post(
            user=request.user,
            line_id=line_id,
            amount_fen=_amount_fen(payload.amount),
            channel=payload.channel,
            visible_to=request.user,
        )
        split = posted.split
        allocated = {
            "penalty": fen_to_yuan_str(split.penalty_fen),
            "overdue_interest": fen_to_yuan_str(split.overdue_interest_fen),
            "interest": fen_to_yuan_str(split.interest_fen),
            "principal": fen_to_yuan_str(split.principal_fen),
        }
        return 201, {"allocated": allocated, "line": line_out(posted.line)}

    return _money_request(request, payload, act)


@router.get("/credit-lines/{line_id}/statement", response={200: StatementOut, **ERRORS})
def statement(request, line_id: int):
    """Every posting on the line with the principal and unpaid interest after it."""
    _reader(request)
    line = selectors.line_get(user=request.user, pk=line_id)
    return {
        "entries": [
            {
                "date": e.date.isoformat(),
                "kind": e.kind,
                "amount": fen_to_yuan_str(e.amount_fen),
                "principal_after": fen_to_yuan_str(e.principal_after_fen),
                "interest_after": fen_to_yuan_str(e.interest_after_fen),
            }
            for e in selectors.line_statement(line)
        ]
    }


@router.get("/ledger/trial-balance", response={200: TrialBalanceOut, **ERRORS})
def trial_balance(request):
    """Σ debits, Σ credits, and the principal control account against the loans' outstanding principal."""
    require_role(request, roles.HEAD_OFFICE, roles.AUDITOR)
    balance = selectors.trial_balance()
    return {
        "debits": fen_to_yuan_str(balance.debits_fen),
        "credits": fen_to_yuan_str(balance.credits_fen),
        "balanced": balance.balanced,
        "principal_control": fen_to_yuan_str(balance.principal_control_fen),
        "loans_outstanding": fen_to_yuan_str(balance.loans_outstanding_fen),
    }
