"""The documents of the granting workflow: the public notice (HTML and A4 PDF, names masked, CJK font
embedded), the credit notice PDF with the QR code of its verification page, and the public verification page.
A signed proposal is built through the real services, as in test_workflow.py."""

import ctypes
import datetime
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import qrcode
import qrcode.constants
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from puhui.core.ids import mask_resident_id, resident_id_check_char
from puhui.core.selectors import business_date_current
from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine
from puhui.deliberation import approval, documents, granting
from puhui.deliberation.models import Exclusion, Notice, PanelMember, Proposal, RoundHousehold
from puhui.deliberation.services import ballot_submit, round_open, vote_save
from puhui.households.models import Person
from puhui.org import roles
from puhui.org.models import User
from tests.deliberation.conftest import GOOD_VOTE

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DAY = datetime.timedelta(days=1)
A4_POINTS = (595.28, 841.89)
# Heads of the first three households: three, four and two characters, masked per DOMAIN §7.
NAMES = {"张三明": "张*明", "欧阳明华": "欧**华", "王芳": "王*"}
ID_FIRST17 = "33078119750301001"
ID_NUMBER = ID_FIRST17 + resident_id_check_char(ID_FIRST17)
CONTRACT = "ZJLX-2017-0042"


@dataclass
class Signed:
    notice: Notice
    proposal: Proposal  # signed, line active: the household of 张三明
    others: list[Proposal]  # approved, not signed


def _vote_all(village, round_):
    for user in village.panel:
        member = PanelMember.objects.get(campaign=village.campaign, user=user)
        excluded = Exclusion.objects.filter(round=round_, member=member).values_list("household_id", flat=True)
        for entry in RoundHousehold.objects.filter(round=round_).exclude(household_id__in=excluded):
            vote_save(user=user, entry_id=entry.pk, answers=GOOD_VOTE)
        ballot_submit(user=user, round_id=round_.pk)


@pytest.fixture
def signed(world, village) -> Signed:
    manager, branch = world.users[roles.ACCOUNT_MANAGER], world.users[roles.BRANCH_MANAGER]
    households = village.households[:3]
    for household, name in zip(households, NAMES, strict=True):
        Person.objects.filter(household=household, relation="head").update(name=name)
    head = Person.objects.get(household=households[0], relation="head")
    head.id_number, head.id_masked = ID_NUMBER, mask_resident_id(ID_NUMBER)
    head.save()

    round_ = round_open(user=manager, campaign=village.campaign, households=households)
    _vote_all(village, round_)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    for proposal in Proposal.objects.filter(status=Proposal.Status.GREY_PENDING):
        granting.grey_decide(user=manager, proposal_id=proposal.pk, accept=True, reason="人行征信查询正常")
    notice = approval.notice_publish(user=manager, campaign_id=village.campaign.pk, objection_phone="0579-88888888")
    approval.batch_submit(user=manager, campaign_id=village.campaign.pk)
    business_date_set(business_date=notice.ends_on + DAY)
    for proposal in Proposal.objects.filter(status=Proposal.Status.SUBMITTED):
        approval.proposal_decide(user=branch, proposal_id=proposal.pk, approve=True, reason="同意授信")
    first = Proposal.objects.get(household=households[0])
    proposal = approval.proposal_sign(
        user=manager, proposal_id=first.pk, contract_number=CONTRACT, signed_on=business_date_current()
    )
    others = list(Proposal.objects.exclude(pk=proposal.pk).order_by("household__number"))
    assert proposal.status == Proposal.Status.SIGNED and proposal.line_id and proposal.verification_code
    assert notice.proposals.count() == 3
    return Signed(notice, proposal, others)


def _outsider() -> User:
    return User.objects.get(username="manager3")  # account manager of the other branch


def _pdf_text(pdf: pdfium.PdfDocument) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdf)


def _pdf_font_names(data: bytes) -> set[str]:
    """Every /FontName in the PDF, object streams inflated (WeasyPrint compresses them)."""
    chunks = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return {m.decode() for chunk in chunks for m in re.findall(rb"/FontName\s*/([^\s/<>\[\]()]+)", chunk)}


def _char_font(textpage: pdfium.PdfTextPage, index: int) -> str:
    size = pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, None, 0, None)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, size, None)
    return buffer.value.decode("utf-8", "replace")


def _dark(image) -> int:
    """Dark pixels of a greyscale image."""
    return sum(image.histogram()[:128])


def _horizontal_rules(image, x0: int, x1: int) -> int:
    """How many horizontal lines run (≥ 95 % dark) across x0..x1: the table's borders."""
    width, height = image.size
    data = image.load()
    rules, previous = 0, False
    for y in range(height):
        dark = sum(1 for x in range(x0, x1) if data[x, y] < 128)
        line = dark >= 0.95 * (x1 - x0)
        if line and not previous:
            rules += 1
        previous = line
    return rules


# ---- the public notice ---------------------------------------------------------------------------------


def test_notice_pdf_is_an_a4_page_with_masked_names_and_an_embedded_cjk_font(world, signed, login):
    response = login(world.users[roles.ACCOUNT_MANAGER]).get(reverse("notice-pdf", args=[signed.notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF")

    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == tuple(round(v) for v in A4_POINTS)
    text = _pdf_text(pdf)
    for full, masked in NAMES.items():
        assert masked in text
        assert full not in text
    proposals = [signed.proposal, *signed.others]
    for proposal in proposals:
        assert documents.yuan_whole(proposal.limit_fen) in text
        assert proposal.grade in text
    assert "诸葛村" in text and world.bank.name in text and "0579-88888888" in text
    assert signed.notice.starts_on.isoformat() in text and signed.notice.ends_on.isoformat() in text
    assert ID_NUMBER not in text and CONTRACT not in text

    # The Chinese glyphs come from an embedded Noto CJK font, not from a fallback
    fonts = _pdf_font_names(data)
    assert any(re.search(r"Noto(Sans|Serif)CJK", name.replace("-", "")) for name in fonts), fonts
    textpage = pdf[0].get_textpage()
    title_at = text.index("诸葛村")
    title_fonts = {_char_font(textpage, title_at + i) for i in range(3)}
    assert all(re.search(r"Noto(Sans|Serif)CJK", name.replace("-", "")) for name in title_fonts), title_fonts

    # Rendered: not blank, the title is drawn where its characters stand, the table has its borders
    page = pdf[0]
    scale = 2
    image = page.render(scale=scale).to_pil().convert("L")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "notice-page1.png")
    assert image.size == (round(width * scale), round(height * scale))
    assert _dark(image) > 0.005 * image.size[0] * image.size[1]
    left, bottom, _, _ = textpage.get_charbox(title_at)
    _, _, right, top = textpage.get_charbox(title_at + 2)
    title = image.crop(
        (int(left * scale), int((height - top) * scale), int(right * scale), int((height - bottom) * scale))
    )
    assert 0.1 < _dark(title) / (title.size[0] * title.size[1]) < 0.7
    margin = int(60 * scale)  # inside the 18 mm page margins
    assert _horizontal_rules(image, margin, image.size[0] - margin) >= len(proposals) + 2


def test_notice_html_page_lists_the_posted_proposals_masked(world, signed, login):
    response = login(world.users[roles.BRANCH_MANAGER]).get(reverse("notice-detail", args=[signed.notice.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="notice-row"') == 3
    for full, masked in NAMES.items():
        assert f'<td class="doc-name">{masked}</td>' in body
        assert full not in body
    assert "诸葛村" in body and "0579-88888888" in body
    assert reverse("notice-pdf", args=[signed.notice.pk]) in body
    assert [row.name for row in documents.notice_rows(signed.notice)] == list(NAMES.values())


def test_public_names_keep_first_and_last_character():
    assert [documents.public_name(n) for n in ("张三明", "欧阳明华", "王芳", "李", " 赵钱孙 ")] == [
        "张*明",
        "欧**华",
        "王*",
        "李",
        "赵*孙",
    ]
    assert documents.yuan_whole(15_000_000) == "150,000"
    assert documents.yuan_whole(15_000_050) == "150,000.50"


# ---- the credit notice ---------------------------------------------------------------------------------


def test_credit_notice_html_embeds_the_qr_of_the_verification_url(world, signed):
    request = RequestFactory().get("/proposals/1/credit-notice.pdf")
    request.user = world.users[roles.ACCOUNT_MANAGER]
    proposal = documents.signed_proposal_get(user=request.user, pk=signed.proposal.pk)
    html = documents.credit_notice_html(request, proposal)
    url = f"http://testserver/verify/{signed.proposal.verification_code}/"
    assert documents.verification_url(request, proposal) == url
    assert f'data-payload="{url}"' in html
    assert f'src="{documents.qr_data_uri(url)}"' in html  # the QR code of exactly this URL
    assert "张三明" in html  # handed to the farmer: the full name
    assert ID_NUMBER not in html and mask_resident_id(ID_NUMBER) in html
    assert CONTRACT in html


def test_credit_notice_pdf_renders_with_full_name_masked_id_and_verification_url(world, signed, login):
    response = login(world.users[roles.ACCOUNT_MANAGER]).get(
        reverse("proposal-credit-notice", args=[signed.proposal.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(response.content)
    assert len(pdf) == 1
    text = _pdf_text(pdf)
    line = CreditLine.objects.get(pk=signed.proposal.line_id)
    assert "张三明" in text and mask_resident_id(ID_NUMBER) in text and ID_NUMBER not in text
    assert CONTRACT in text and line.grade in text and documents.yuan_whole(line.limit_fen) in text
    assert line.start_date.isoformat() in text and line.end_date.isoformat() in text
    assert f"/verify/{signed.proposal.verification_code}/" in re.sub(r"\s", "", text)
    image = pdf[0].render(scale=1).to_pil().convert("L")
    assert _dark(image) > 0.005 * image.size[0] * image.size[1]


def _printed_qr(page: pdfium.PdfPage, size: int, scale: int = 4) -> list[list[bool]]:
    """The QR code as printed: the largest square path on the page (its white quiet zone), sampled at the
    centre of each of its size × size modules."""
    squares = []
    for obj in page.get_objects(max_depth=3):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = obj.get_bounds()
        if right - left > 50 and abs((right - left) - (top - bottom)) < 0.5:
            squares.append((right - left, left, top))
    assert squares, "no QR code on the page"
    side, left, top = max(squares)
    image = page.render(scale=scale).to_pil().convert("L")
    height, module = page.get_height(), side / size

    def dark(row: int, col: int) -> bool:
        x, y = left + (col + 0.5) * module, height - top + (row + 0.5) * module
        return image.getpixel((int(x * scale), int(y * scale))) < 128

    return [[dark(row, col) for col in range(size)] for row in range(size)]


def test_credit_notice_pdf_prints_the_qr_code_of_the_verification_url(world, signed, login):
    response = login(world.users[roles.ACCOUNT_MANAGER]).get(
        reverse("proposal-credit-notice", args=[signed.proposal.pk])
    )
    url = f"http://testserver/verify/{signed.proposal.verification_code}/"
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    reference.add_data(url)
    reference.make(fit=True)
    expected = reference.get_matrix()
    printed = _printed_qr(pdfium.PdfDocument(response.content)[0], len(expected))
    assert printed == expected


def test_credit_notice_only_for_a_signed_proposal(world, signed, login):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    assert client.get(reverse("proposal-credit-notice", args=[signed.others[0].pk])).status_code == 404


# ---- scope and login -----------------------------------------------------------------------------------


def test_documents_are_scoped_and_need_a_login(world, signed, login):
    urls = [
        reverse("notice-detail", args=[signed.notice.pk]),
        reverse("notice-pdf", args=[signed.notice.pk]),
        reverse("proposal-credit-notice", args=[signed.proposal.pk]),
    ]
    outsider, auditor = login(_outsider()), login(world.users[roles.AUDITOR])
    anonymous, farmer = Client(), login(world.users[roles.FARMER])
    login_url = reverse(settings.LOGIN_URL)
    for url in urls:
        assert outsider.get(url).status_code == 404, url
        assert auditor.get(url).status_code == 200, url
        assert farmer.get(url).status_code == 403, url
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login_url), url
    verify = anonymous.get(reverse("document-verify", args=[signed.proposal.verification_code]))
    assert verify.status_code == 200


# ---- the public verification page ----------------------------------------------------------------------


def test_verify_shows_masked_facts_of_a_genuine_notice(world, signed):
    line = CreditLine.objects.get(pk=signed.proposal.line_id)
    response = Client().get(reverse("document-verify", args=[signed.proposal.verification_code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-result="valid"' in body
    assert '<dd class="col-7" data-testid="verify-name">张*明</dd>' in body
    assert f'data-testid="verify-grade">{line.grade}<' in body
    assert f'data-testid="verify-limit">{documents.yuan_whole(line.limit_fen)}<' in body
    assert line.start_date.isoformat() in body and line.end_date.isoformat() in body
    secrets = ("张三明", ID_NUMBER, mask_resident_id(ID_NUMBER), CONTRACT, "诸葛村", signed.proposal.household.number)
    for secret in secrets:
        assert secret not in body
    assert response["X-Robots-Tag"].startswith("noindex")


@pytest.mark.parametrize("status", ["frozen", "expired", "closed"])
def test_verify_says_when_the_line_is_no_longer_active(world, signed, status):
    CreditLine.objects.filter(pk=signed.proposal.line_id).update(status=status)
    response = Client().get(reverse("document-verify", args=[signed.proposal.verification_code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-result="inactive"' in body and f'data-status="{status}"' in body
    assert 'data-result="valid"' not in body
    assert "张*明" in body


def test_verify_treats_a_line_past_its_end_as_expired(world, signed):
    line = CreditLine.objects.get(pk=signed.proposal.line_id)
    business_date_set(business_date=line.end_date + DAY)
    body = Client().get(reverse("document-verify", args=[signed.proposal.verification_code])).content.decode()
    assert 'data-status="expired"' in body


def test_verify_refuses_forged_codes_without_revealing_anything(world, signed):
    code = signed.proposal.verification_code
    unsigned = signed.others[0]
    Proposal.objects.filter(pk=unsigned.pk).update(verification_code="A" * 24)  # a code on an unsigned proposal
    line = CreditLine.objects.get(pk=signed.proposal.line_id)
    pages = set()
    for forged in ("forged-code-0000", code[:-1], code + "x", code.swapcase(), "A" * 24):
        if forged == code:
            continue
        response = Client().get(reverse("document-verify", args=[forged]))
        assert response.status_code == 404, forged
        body = response.content.decode()
        assert 'data-result="not-found"' in body
        for data in ("张", "*", world.bank.name, documents.yuan_whole(line.limit_fen), line.end_date.isoformat()):
            assert data not in body, (forged, data)
        # the language switcher echoes the requested path; apart from that every miss looks the same
        pages.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body.replace(forged, "CODE")))
    assert len(pages) == 1
