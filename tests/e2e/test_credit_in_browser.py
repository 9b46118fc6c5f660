"""At 390×844 a farmer draws 20,000.00 and repays 5,000.00 through the confirmation steps (a double tap on
confirm posts once); an account manager on the desktop then sees both postings on the staff line page."""

import pytest

from puhui.credit.models import Journal, Loan
from puhui.households.models import Person
from puhui.org import roles
from tests.conftest import PASSWORD
from tests.credit.test_money_services import make_line
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _post_on_phone(page, base_url: str, button: str, amount: str, name: str, *, double_tap: bool = False) -> None:
    page.get_by_test_id(button).click()
    page.locator("input[name=amount]").fill(amount)
    screenshot(page, f"credit-phone-{name}-amount")
    page.get_by_test_id("amount-next").click()
    page.get_by_test_id("confirm-summary").wait_for()
    screenshot(page, f"credit-phone-{name}-confirm")
    if double_tap:
        page.get_by_test_id("confirm-button").dblclick()
    else:
        page.get_by_test_id("confirm-button").click()
    page.wait_for_url(f"{base_url}/my/credit/")
    page.get_by_test_id("my-line").wait_for()


def test_farmer_draws_and_repays_then_the_manager_sees_both(world, live_server, phone_page, desktop_page):
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    page = phone_page
    log_in(page, live_server.url, "farmer", PASSWORD)
    page.goto(f"{live_server.url}/my/credit/")
    assert page.get_by_test_id("line-available").inner_text() == "300,000.00"
    screenshot(page, "credit-phone-line")

    _post_on_phone(page, live_server.url, "draw-button", "20000.00", "draw", double_tap=True)
    assert page.get_by_test_id("line-outstanding").inner_text() == "20,000.00"
    assert Loan.objects.filter(line=line).count() == 1

    page.get_by_test_id("repay-button").click()
    page.locator("input[name=amount]").fill("1.001")
    page.get_by_test_id("amount-next").click()
    assert page.get_by_test_id("error-amount").is_visible()
    page.goto(f"{live_server.url}/my/credit/")

    _post_on_phone(page, live_server.url, "repay-button", "5000.00", "repay")
    assert page.get_by_test_id("line-outstanding").inner_text() == "15,000.00"
    assert page.get_by_test_id("line-available").inner_text() == "285,000.00"
    assert page.get_by_test_id("statement-entry").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "credit-phone-after")
    assert list(Journal.objects.filter(line=line).order_by("pk").values_list("kind", flat=True)) == [
        "drawdown",
        "repayment",
    ]

    desk = desktop_page
    log_in(desk, live_server.url, "manager", PASSWORD)
    desk.goto(f"{live_server.url}/credit-lines/{line.pk}/")
    postings = desk.get_by_test_id("posting")
    assert postings.count() == 2
    assert [postings.nth(i).get_attribute("data-kind") for i in range(2)] == ["repayment", "drawdown"]
    assert desk.get_by_test_id("posting-amount").all_inner_texts() == ["5,000.00", "20,000.00"]
    assert desk.get_by_test_id("staff-draw-form").is_visible()
    screenshot(desk, "credit-desktop-line")
    desk.get_by_test_id("receipt-link").first.click()
    assert desk.get_by_test_id("receipt-amount").inner_text() == "5,000.00"
    screenshot(desk, "credit-desktop-receipt")
