"""背靠背评议 at 390×844: the evaluator opens 评议任务, rates the village's ten households by tapping the big
buttons and typing amounts (one abstention, one refusal with its reason), each card autosaved, submits, and
sees the success page. A colleague's phone without JavaScript rates through the plain submit buttons."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from puhui.deliberation.models import Ballot, Vote
from puhui.deliberation.services import round_open
from puhui.households.photos import photo_add
from puhui.org import roles
from tests.conftest import PASSWORD
from tests.deliberation.conftest import village  # noqa: F401 - the campaign, its panel and ten households
from tests.e2e.conftest import ARTIFACTS, PHONE, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INDUSTRIES = ["柑橘种植", "生猪养殖", "茶叶", "农家乐", "杨梅种植"] + [
    "水产养殖",
    "蔬菜种植",
    "来料加工",
    "苗木",
    "粮食种植",
]
ABSTAIN, REFUSE = 4, 7


def jpeg(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def demo_like(world, households) -> None:
    """Industries, land and photos as an account manager would have profiled them."""
    for n, household in enumerate(households):
        household.main_industry = INDUSTRIES[n]
        household.land_area_mu = f"{3 + n * 1.5:.2f}"
        household.is_low_income = n == 5
        household.save()
    manager = world.users[roles.ACCOUNT_MANAGER]
    for kind, colour in (("house", (180, 140, 90)), ("family", (90, 140, 180))):
        upload = SimpleUploadedFile("photo.jpg", jpeg(colour), content_type="image/jpeg")
        photo_add(user=manager, household=households[0], kind=kind, upload=upload)


def snap(page, name: str) -> None:
    """The whole page at the phone's width; the viewport is stretched to the page first, or the sticky bars
    (navbar on top, save status and buttons at the bottom) would be drawn where the screen ended."""
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'}); document.activeElement.blur()")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({**PHONE, "height": max(height, PHONE["height"])})
    page.wait_for_timeout(300)  # let Bootstrap's button transitions finish
    screenshot(page, name)
    page.set_viewport_size(PHONE)


def snap_screen(page, name: str) -> None:
    """Only what the phone's screen shows at the top of the page."""
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'}); document.activeElement.blur()")
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def assert_fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def tap(page, testid: str) -> None:
    page.get_by_test_id(testid).click()


def saved(page) -> None:
    """The autosave answered 已保存 and no request of this card is still on its way."""
    page.locator('[data-testid="save-status"][data-state="saved"]').wait_for()
    page.wait_for_function("() => !document.querySelector('#vote-form.htmx-request')")


def type_amount(page, amount: str) -> None:
    field = page.get_by_test_id("amount")
    field.fill(amount)
    field.blur()  # the change event: what leaving the field does on the phone


def rate(page, n: int) -> None:
    """One household card: abstain, refuse with a reason, or a counted vote with an amount."""
    if n == ABSTAIN:
        tap(page, "knows-no")
        assert page.get_by_test_id("vote-details").is_hidden()
        saved(page)
        return
    tap(page, "knows-yes")
    if n == REFUSE:
        for testid in ("integrity-fair", "habits-gambling", "debt-high", "high_interest-yes"):
            tap(page, testid)
        assert page.get_by_test_id("refusal-box").is_hidden()
        type_amount(page, "0")
        page.get_by_test_id("refusal-box").wait_for()
        page.locator('[data-testid="save-status"][data-state="incomplete"]').wait_for()  # no reason yet
        tap(page, "refusal_reasons-debt_too_high")
        saved(page)
        return
    tap(page, "integrity-very_good" if n % 3 else "integrity-good")
    if n == 2:
        tap(page, "habits-alcoholism")
    tap(page, "debt-none" if n % 2 else "debt-little")
    tap(page, "high_interest-no")
    type_amount(page, f"{50000 + n * 10000}")
    saved(page)


def test_evaluator_rates_a_village_on_a_phone(world, village, live_server, phone_page):  # noqa: F811 - village
    demo_like(world, village.households)
    manager = world.users[roles.ACCOUNT_MANAGER]
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    page = phone_page
    base = live_server.url
    log_in(page, base, "evaluator", PASSWORD)
    page.locator(".navbar-toggler").click()
    tap(page, "nav-evaluate")
    page.wait_for_url(f"{base}/evaluate/")
    assert page.get_by_test_id("round-progress").inner_text() == "0 / 10"
    snap(page, "evaluator-rounds")
    tap(page, "round")
    page.wait_for_url(f"{base}/evaluate/{round_.pk}/1/")

    for n in range(1, 11):
        assert page.get_by_test_id("card-position").inner_text() == f"{n} / 10"
        assert page.get_by_test_id("head-name").inner_text() == "张*明"
        if n == 1:
            assert page.get_by_test_id("photo").count() == 2
            assert page.evaluate("[...document.images].every(img => img.complete && img.naturalWidth > 0)")
            assert_fits_the_phone(page)
            snap(page, "evaluator-card-empty")
        if n == 3:  # the network drops out: the card must not keep saying 已保存
            page.route("**/save/", lambda route: route.abort())
            tap(page, "knows-yes")
            page.locator('[data-testid="save-status"][data-state="failed"]').wait_for()
            page.unroute("**/save/")
        rate(page, n)
        assert page.get_by_test_id("rated-count").inner_text() == str(n)
        if n == 1:
            snap(page, "evaluator-card")
            snap_screen(page, "evaluator-card-screen")
        if n == REFUSE:
            snap(page, "evaluator-card-refusal")
        assert_fits_the_phone(page)
        tap(page, "next")
        page.wait_for_url(f"{base}/evaluate/{round_.pk}/{n + 1}/" if n < 10 else f"{base}/evaluate/{round_.pk}/submit/")

    assert page.get_by_test_id("count-rated").inner_text() == "10"
    assert page.get_by_test_id("count-missing").inner_text() == "0"
    assert page.get_by_test_id("count-abstained").inner_text() == "1"
    snap(page, "evaluator-submit")
    tap(page, "submit-button")
    page.wait_for_url(f"{base}/evaluate/{round_.pk}/submitted/")
    page.get_by_test_id("submitted").wait_for()
    assert_fits_the_phone(page)
    snap(page, "evaluator-submitted")

    ballot = Ballot.objects.get(round=round_, member__user=world.users[roles.EVALUATOR])
    assert ballot.submitted_at is not None and ballot.kind == "app"
    votes = {v.entry.household.number: v for v in Vote.objects.filter(ballot=ballot).select_related("entry__household")}
    assert len(votes) == 10
    assert votes["V003"].knows_household is False
    refusal = votes["V006"]
    assert (refusal.suggested_fen, refusal.refusal_reasons, refusal.habits) == (0, ["debt_too_high"], ["gambling"])
    assert (refusal.integrity, refusal.debt, refusal.informal_high_interest) == ("fair", "high", True)
    assert votes["V001"].habits == ["alcoholism"]
    assert [votes[f"V00{n - 1}"].suggested_fen for n in (1, 2, 10)] == [6_000_000, 7_000_000, 15_000_000]
    assert votes["V009"].integrity == "very_good" and votes["V002"].integrity == "good"


def test_the_card_works_without_javascript(world, village, live_server, browser):  # noqa: F811 - village
    round_ = round_open(
        user=world.users[roles.ACCOUNT_MANAGER], campaign=village.campaign, households=village.households
    )
    colleague = village.panel[1]
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    base = live_server.url
    log_in(page, base, colleague.username, PASSWORD)
    page.goto(f"{base}/evaluate/")
    tap(page, "round")
    page.wait_for_url(f"{base}/evaluate/{round_.pk}/1/")
    for testid in ("knows-yes", "integrity-good", "debt-little", "high_interest-no"):
        tap(page, testid)
    page.get_by_test_id("amount").fill("80000")
    tap(page, "next")
    page.wait_for_url(f"{base}/evaluate/{round_.pk}/2/")
    vote = Vote.objects.get(ballot__member__user=colleague)
    assert (vote.entry.household.number, vote.integrity, vote.suggested_fen) == ("V000", "good", 8_000_000)

    tap(page, "knows-yes")
    tap(page, "next")  # unfinished: the card stays and says what is missing
    page.get_by_test_id("save-missing").wait_for()
    assert page.get_by_test_id("save-status").get_attribute("data-state") == "incomplete"
    assert_fits_the_phone(page)
    snap(page, "evaluator-card-nojs-unfinished")
    tap(page, "skip")
    page.wait_for_url(f"{base}/evaluate/{round_.pk}/3/")
    assert Vote.objects.filter(ballot__member__user=colleague).count() == 1
    context.close()
