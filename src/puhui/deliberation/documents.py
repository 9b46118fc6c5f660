"""The documents of the granting workflow (DOMAIN §3 steps 7 and 9): the public notice (公示) for the village
board, the credit notice (授信通知书) handed to the farmer with a QR code, and what the public verification page
may show. HTML is rendered by Django templates and printed to A4 PDF by WeasyPrint with the Noto CJK fonts;
WeasyPrint embeds the glyphs it uses. Names on public documents are masked (DOMAIN §7: 张*明, 张*)."""

import base64
import datetime
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import ImageFile

from puhui.core.ids import fen_to_yuan_str, mask_name_public
from puhui.credit.api import rate_text
from puhui.credit.models import CreditLine
from puhui.deliberation.models import Campaign, Notice, Proposal

NOTICE_PRINT_TEMPLATE = "deliberation/documents/notice_print.html"
CREDIT_NOTICE_TEMPLATE = "deliberation/documents/credit_notice_print.html"


# ---- formatting ------------------------------------------------------------------------------------------


def public_name(name: str) -> str:
    """A name as a public document shows it: first and last character kept, the ones between starred."""
    return mask_name_public((name or "").strip())


def yuan_whole(fen: int) -> str:
    """A limit as the notice prints it: 15,000,000 fen → '150,000' (fen shown only when there are any)."""
    whole, cents = divmod(fen, 100)
    return f"{whole:,}" if not cents else fen_to_yuan_str(fen, grouped=True)


def _borrower_name(proposal: Proposal) -> str:
    """The proposed borrower, or the head of the household when no borrower was chosen."""
    if proposal.borrower is not None:
        return proposal.borrower.name
    head = next((p for p in proposal.household.members.all() if p.relation == "head"), None)
    return head.name if head is not None else ""


# ---- reads (scoped) --------------------------------------------------------------------------------------


def notice_get(*, user, pk: int) -> Notice:
    """A notice of a campaign in the user's scope; 404 otherwise."""
    notice = (
        Notice.objects.filter(pk=pk, campaign__in=Campaign.objects.visible_to(user))
        .select_related("campaign__village__township__bank", "campaign__village__township__branch")
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def signed_proposal_get(*, user, pk: int) -> Proposal:
    """A signed proposal with its line, of a household in the user's scope; 404 otherwise."""
    proposal = (
        Proposal.objects.visible_to(user)
        .filter(pk=pk, status=Proposal.Status.SIGNED, line__isnull=False)
        .select_related(
            "borrower", "line", "household__village__township__bank", "household__village__township__branch"
        )
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


def proposal_by_code(code: str) -> Proposal | None:
    """The signed proposal a verification code belongs to, or None (an empty code never matches)."""
    if not code:
        return None
    return (
        Proposal.objects.filter(verification_code=code, status=Proposal.Status.SIGNED, line__isnull=False)
        .select_related("borrower", "line", "household__village__township__bank")
        .prefetch_related("household__members")
        .first()
    )


# ---- the public notice -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeRow:
    number: int
    name: str  # masked
    grade: str
    limit: str  # whole yuan, grouped


def notice_rows(notice: Notice) -> list[NoticeRow]:
    """Every proposal posted with this notice, in household-number order, names masked."""
    proposals = (
        notice.proposals.select_related("borrower", "household")
        .prefetch_related("household__members")
        .order_by("household__number", "pk")
    )
    return [
        NoticeRow(n, public_name(_borrower_name(p)), p.grade, yuan_whole(p.limit_fen))
        for n, p in enumerate(proposals, start=1)
    ]


def notice_context(notice: Notice) -> dict:
    village = notice.campaign.village
    return {
        "notice": notice,
        "village": village,
        "bank": village.township.bank,
        "branch": village.township.branch,
        "rows": notice_rows(notice),
    }


def notice_html(notice: Notice, *, request=None) -> str:
    return render_to_string(NOTICE_PRINT_TEMPLATE, notice_context(notice), request=request)


# ---- the credit notice -----------------------------------------------------------------------------------


def verification_url(request, proposal: Proposal) -> str:
    """The absolute address of the public verification page the QR code encodes."""
    return request.build_absolute_uri(reverse("document-verify", args=[proposal.verification_code]))


def qr_data_uri(payload: str) -> str:
    """A QR code (error correction M, 4-module quiet zone) as an SVG data URI, for <img> in HTML and PDF."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    svg = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def credit_notice_context(proposal: Proposal, *, verify_url: str) -> dict:
    line = proposal.line
    village = proposal.household.village
    return {
        "proposal": proposal,
        "line": line,
        "household": proposal.household,
        "village": village,
        "bank": village.township.bank,
        "branch": village.township.branch,
        "borrower_name": _borrower_name(proposal),
        "id_masked": proposal.borrower.id_masked if proposal.borrower is not None else "",
        "limit": yuan_whole(line.limit_fen),
        "rate": rate_text(line.rate),
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
    }


def credit_notice_html(request, proposal: Proposal) -> str:
    """The credit notice as HTML, the QR code encoding the verification page's absolute URL."""
    context = credit_notice_context(proposal, verify_url=verification_url(request, proposal))
    return render_to_string(CREDIT_NOTICE_TEMPLATE, context, request=request)


# ---- the public verification page ------------------------------------------------------------------------


def verification_context(proposal: Proposal, *, today: datetime.date) -> dict:
    """Only what a stranger holding the notice may learn: masked name, grade, limit, validity, line status."""
    line = proposal.line
    expired = line.status == CreditLine.Status.ACTIVE and line.end_date < today
    status = CreditLine.Status.EXPIRED if expired else CreditLine.Status(line.status)
    return {
        "bank": proposal.household.village.township.bank,
        "name": public_name(_borrower_name(proposal)),
        "grade": line.grade,
        "limit": yuan_whole(line.limit_fen),
        "start_date": line.start_date,
        "end_date": line.end_date,
        "active": status == CreditLine.Status.ACTIVE,
        "status": status,
        "status_label": status.label,
    }


# ---- printing --------------------------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    """A4 PDF from self-contained HTML. Only data: URLs are fetched: a document never reaches the network
    or the file system, whatever a name or an address in it says."""
    # imported here, not with the module: the pages load even where the PDF libraries (pango) are missing
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # weasyprint switches on Pillow's acceptance of truncated images for the whole process when imported; our
    # documents embed no photos, and a farmer's damaged photo upload must stay refused (households/photos.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
