"""扫村建档 on a phone: an account manager adds a household, two members and a photo; completeness rises."""

import io

import pytest
from PIL import Image

from puhui.core.ids import resident_id_check_char
from puhui.households.models import Household, Photo
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VILLAGE = "330781102201"


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 140, 90)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def completeness(page) -> int:
    return int(page.get_by_test_id("completeness").inner_text().rstrip("%"))


def completeness_now(household: Household) -> int:
    household.refresh_from_db()
    return household.completeness


def assert_fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def snap(page, name: str) -> None:
    # a full-page screenshot of a scrolled page would draw the sticky navbar mid-page
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'}); document.activeElement.blur()")
    page.wait_for_timeout(300)  # let Bootstrap's button transitions finish
    screenshot(page, name)


def add_member(page, *, relation: str, name: str, id_number: str, phone: str) -> None:
    page.get_by_test_id("add-member").click()
    page.select_option("select[name=relation]", relation)
    page.fill("input[name=name]", name)
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=phone]", phone)
    assert_fits_the_phone(page)
    page.get_by_test_id("save").click()
    page.wait_for_url("**/households/*/")


def test_account_manager_captures_a_household_on_a_phone(world, live_server, phone_page):
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 29.208512, "longitude": 119.460187, "accuracy": 14})
    log_in(page, live_server.url, "manager", PASSWORD)

    page.goto(f"{live_server.url}/villages/{VILLAGE}/")
    page.get_by_test_id("village-households").click()
    page.wait_for_url(f"{live_server.url}/villages/{VILLAGE}/households/")
    assert_fits_the_phone(page)
    page.get_by_test_id("add-household").click()

    # step 1: the household, with its location from the phone
    page.fill("input[name=number]", "A-017")
    page.fill("input[name=address]", "诸葛村上塘路8号")
    page.fill("input[name=main_industry]", "柑橘种植")
    page.fill("input[name=annual_net_income]", "86000.50")
    page.get_by_test_id("gps-button").click()
    page.wait_for_function("() => document.querySelector('input[name=gps_lat]').value !== ''")
    assert page.input_value("input[name=gps_lat]") == "29.208512"
    assert page.input_value("input[name=gps_accuracy_m]") == "14"
    assert "14" in page.get_by_test_id("gps-status").inner_text()
    assert_fits_the_phone(page)
    snap(page, "capture-household-form")
    page.get_by_test_id("save").click()
    page.wait_for_url("**/households/*/")
    household = Household.objects.get(number="A-017")
    assert household.grid == world.grid_mine and household.gps_accuracy_m == 14
    after_household = completeness(page)
    assert after_household == household.completeness > 0

    # steps 2 and 3: the spouse at home first, then the head with the phone number
    add_member(page, relation="spouse", name="李小红", id_number=resident_id("33078119820202124"), phone="")
    after_spouse = completeness(page)
    assert after_spouse > after_household
    head_id = resident_id("33078119800101123")
    add_member(page, relation="head", name="王大明", id_number=head_id, phone="13812345678")
    after_head = completeness(page)
    assert after_head > after_spouse
    assert page.get_by_test_id("member").count() == 2
    assert head_id not in page.content() and "13812345678" not in page.content()
    assert "上塘路8号" not in page.content()
    snap(page, "capture-household-card-members")

    # reveal is an htmx POST swapping in the full value
    page.get_by_test_id("member").first.get_by_test_id("reveal-id_number").click()
    assert page.get_by_test_id("member").first.get_by_test_id("revealed").inner_text() == head_id
    page.get_by_test_id("reveal-address").click()
    assert page.get_by_test_id("address").get_by_test_id("revealed").inner_text() == "诸葛村上塘路8号"
    assert_fits_the_phone(page)
    snap(page, "capture-household-card-revealed")

    # step 4: a photo of the house from the camera
    page.get_by_test_id("add-photo").click()
    page.check("input[name=kind][value=house]")
    page.set_input_files(
        "input[name=image]", files=[{"name": "house.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}]
    )
    assert_fits_the_phone(page)
    snap(page, "capture-photo-form")
    page.get_by_test_id("save").click()
    page.wait_for_url("**/households/*/")
    assert completeness(page) > after_head
    thumbnail = page.get_by_test_id("photos").locator("img").first
    thumbnail.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", thumbnail.element_handle())
    assert Photo.objects.filter(household=household, kind="house").count() == 1
    assert_fits_the_phone(page)
    snap(page, "capture-household-card")

    page.get_by_role("link", name=household.village.name).first.click()
    page.get_by_test_id("village-households").click()
    item = page.get_by_test_id("household-item")
    assert item.count() == 1 and "王大明" in item.inner_text()
    assert item.get_by_test_id("completeness-badge").inner_text() == f"{completeness_now(household)}%"
    assert_fits_the_phone(page)
    snap(page, "capture-household-list")
