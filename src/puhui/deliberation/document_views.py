"""Pages of the granting documents: the public notice (HTML and A4 PDF), the credit notice PDF, and the public
verification page its QR code leads to. Staff documents are scoped (404 outside scope, anonymous → login);
the verification page needs no login and says nothing about a code it does not know."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from puhui.core.selectors import business_date_current
from puhui.deliberation import documents
from puhui.web.views import staff_required


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_GET
def notice_detail(request, pk: int):
    """公示: the notice as the village will see it, with the link to the printable PDF."""
    notice = documents.notice_get(user=request.user, pk=pk)
    return render(request, "deliberation/documents/notice_page.html", documents.notice_context(notice))


@staff_required
@require_GET
def notice_pdf(request, pk: int):
    """公示 on A4 for the village notice board."""
    notice = documents.notice_get(user=request.user, pk=pk)
    pdf = documents.html_to_pdf(documents.notice_html(notice, request=request))
    return _pdf_response(pdf, f"notice-{notice.pk}.pdf")


@staff_required
@require_GET
def credit_notice_pdf(request, pk: int):
    """授信通知书 of a signed proposal, with the QR code of its verification page."""
    proposal = documents.signed_proposal_get(user=request.user, pk=pk)
    pdf = documents.html_to_pdf(documents.credit_notice_html(request, proposal))
    return _pdf_response(pdf, f"credit-notice-{proposal.pk}.pdf")


@never_cache
@require_GET
def verify(request, code: str):
    """Public: is this credit notice genuine? Masked name, grade, limit and validity — or a 404 page."""
    proposal = documents.proposal_by_code(code)
    if proposal is None:
        response = render(request, "deliberation/documents/verify_not_found.html", status=404)
    else:
        context = documents.verification_context(proposal, today=business_date_current())
        response = render(request, "deliberation/documents/verify.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
