"""扫村建档 pages through the Django test client: capture, field errors, scope, reveal, escaping, export."""

import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from puhui.core.ids import resident_id_check_char
from puhui.households import services
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


HEAD_ID = resident_id("33078119800101123")
SPOUSE_ID = resident_id("33078119820202124")
HEAD_PHONE = "13812345678"
SPOUSE_PHONE = "13998765432"


def household_make(world, *, village=None, number="001", by=roles.HEAD_OFFICE, **fields) -> Household:
    village = village or world.village_mine
    grid = Grid.objects.filter(village=village).first()
    return services.household_save(
        user=world.users[by], household=Household(village=village), fields={"grid": grid, "number": number, **fields}
    )


def member_make(world, household, *, relation="head", name="王大明", id_number=HEAD_ID, phone=HEAD_PHONE) -> Person:
    return services.person_save(
        user=world.users[roles.HEAD_OFFICE],
        household=household,
        person=None,
        relation=relation,
        name=name,
        id_number=id_number,
        phone=phone,
        occupation="",
    )


def household_post(**overrides) -> dict:
    data = {
        "number": "101",
        "address": "诸葛村上塘路8号",
        "main_industry": "柑橘种植",
        "annual_net_income": "86000.50",
        "total_assets": "350000",
        "debts": "0",
        "land_area_mu": "6.5",
        "is_low_income": "",
        "gps_lat": "29.3512345678",
        "gps_lng": "119.4612349",
        "gps_accuracy_m": "12",
    }
    return data | overrides


def person_post(**overrides) -> dict:
    return {
        "relation": "head",
        "name": "王大明",
        "id_number": HEAD_ID,
        "phone": HEAD_PHONE,
        "occupation": "果农",
    } | overrides


# --- capture through the pages -------------------------------------------------------------------------------


def test_account_manager_adds_household_and_members_through_the_pages(world, login):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    data = household_post(grid=world.grid_mine.pk)
    response = client.post(reverse("household-create", args=[world.village_mine.code]), data)
    household = Household.objects.get(village=world.village_mine, number="101")
    assert response.status_code == 302 and response.url == reverse("household-detail", args=[household.pk])
    assert household.grid == world.grid_mine and household.created_by == world.users[roles.ACCOUNT_MANAGER]
    assert household.annual_net_income_fen == 8600050 and household.total_assets_fen == 35000000
    assert household.debts_fen == 0 and household.land_area_mu == Decimal("6.50")
    assert household.gps_lat == Decimal("29.351235") and household.gps_lng == Decimal("119.461235")
    assert household.gps_accuracy_m == 12 and household.address == "诸葛村上塘路8号"
    first = household.completeness

    client.post(reverse("person-create", args=[household.pk]), person_post())
    household.refresh_from_db()
    after_head = household.completeness
    assert after_head > first

    spouse = person_post(relation="spouse", name="李小红", id_number=SPOUSE_ID.lower(), phone=SPOUSE_PHONE)
    response = client.post(reverse("person-create", args=[household.pk]), spouse)
    assert response.status_code == 302
    members = list(household.members.order_by("pk").values_list("relation", "name", "is_collected"))
    assert members == [("head", "王大明", True), ("spouse", "李小红", True)]
    assert Person.objects.get(name="李小红").id_number == SPOUSE_ID  # lowercase x stored upper-case

    html = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "王大明" in html and "李小红" in html
    assert "3307**********" in html and "138****5678" in html
    household.refresh_from_db()
    assert f'data-testid="completeness">{household.completeness}%' in html


def test_new_member_form_proposes_head_then_spouse(world, login):
    household = household_make(world)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    url = reverse("person-create", args=[household.pk])
    assert client.get(url).context["form"].initial["relation"] == "head"
    member_make(world, household)
    assert client.get(url).context["form"].initial["relation"] == "spouse"


@pytest.mark.parametrize(
    ("field", "value", "chinese"),
    [
        ("id_number", HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1"), "身份证号校验位不正确"),
        ("phone", "12812345678", "手机号必须为11位数字"),
        ("name", "王\t大明", None),
    ],
)
def test_bad_member_values_give_chinese_field_errors_and_save_nothing(world, login, field, value, chinese):
    household = household_make(world)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    response = client.post(reverse("person-create", args=[household.pk]), person_post(**{field: value}))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    if chinese:
        assert chinese in response.content.decode()
    assert not Person.objects.exists()


def test_bad_money_gives_chinese_field_error_and_saves_nothing(world, login):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    data = household_post(grid=world.grid_mine.pk, annual_net_income="8,600", debts="-5", total_assets="1.234")
    response = client.post(reverse("household-create", args=[world.village_mine.code]), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"annual_net_income", "debts", "total_assets"}
    errors = response.context["form"].errors
    assert "金额必须是纯数字" in errors["annual_net_income"][0]
    assert errors["debts"] == ["金额不能为负数。"] and errors["total_assets"] == ["金额最多保留两位小数。"]
    assert not Household.objects.exists()


def test_duplicate_household_number_is_a_field_error(world, login):
    household_make(world, number="101")
    client = login(world.users[roles.ACCOUNT_MANAGER])
    data = household_post(grid=world.grid_mine.pk)
    response = client.post(reverse("household-create", args=[world.village_mine.code]), data)
    assert response.status_code == 200
    assert "本村已有相同户编号的农户" in response.context["form"].errors["number"][0]
    assert Household.objects.count() == 1


def test_second_head_is_refused_on_the_relation_field(world, login):
    household = household_make(world)
    member_make(world, household)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    response = client.post(reverse("person-create", args=[household.pk]), person_post(id_number=SPOUSE_ID))
    assert list(response.context["form"].errors) == ["relation"]
    assert household.members.count() == 1


def test_editing_keeps_the_address_id_and_phone_left_empty(world, login):
    household = household_make(world, address="上塘路8号")
    person = member_make(world, household)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    data = household_post(number="001", address="", gps_lat="", gps_lng="", gps_accuracy_m="")
    assert client.post(reverse("household-edit", args=[household.pk]), data).status_code == 302
    household.refresh_from_db()
    assert household.address == "上塘路8号" and household.gps_lat is None and household.gps_accuracy_m is None
    data = person_post(name="王大民", id_number="", phone="", occupation="木匠")
    assert client.post(reverse("person-edit", args=[person.pk]), data).status_code == 302
    person.refresh_from_db()
    assert (person.name, person.id_number, person.phone, person.occupation) == ("王大民", HEAD_ID, HEAD_PHONE, "木匠")


def test_member_delete_is_a_post_and_lowers_completeness(world, login):
    household = household_make(world)
    person = member_make(world, household)
    household.refresh_from_db()
    before = household.completeness
    client = login(world.users[roles.ACCOUNT_MANAGER])
    url = reverse("person-delete", args=[person.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    household.refresh_from_db()
    assert not Person.objects.exists() and household.completeness < before


# --- list, search, filter --------------------------------------------------------------------------------------


def test_household_list_searches_by_name_number_and_id_tail(world, login):
    first = household_make(world, number="001")
    member_make(world, first)
    second = household_make(world, number="002")
    member_make(world, second, name="赵四", id_number=SPOUSE_ID, phone="")
    client = login(world.users[roles.ACCOUNT_MANAGER])
    url = reverse("village-households", args=[world.village_mine.code])

    def numbers(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [h.number for h in response.context["page"]]

    assert numbers() == ["001", "002"]
    assert numbers(q="赵") == ["002"]
    assert numbers(q="001") == ["001"]
    assert numbers(q=SPOUSE_ID[-4:]) == ["002"]
    rows = {h.number: (h.head_name, h.member_count) for h in client.get(url).context["page"]}
    assert rows == {"001": ("王大明", 1), "002": ("赵四", 1)}


def test_incomplete_filter_lists_only_incomplete_households(world, login):
    household_make(world, number="001")
    complete = household_make(world, number="002")
    Household.objects.filter(pk=complete.pk).update(completeness=100)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    response = client.get(reverse("village-households", args=[world.village_mine.code]), {"incomplete": "1"})
    assert [h.number for h in response.context["page"]] == ["001"]


def test_village_page_links_to_its_households(world, login):
    html = login(world.users[roles.ACCOUNT_MANAGER]).get(f"/villages/{world.village_mine.code}/").content.decode()
    assert reverse("village-households", args=[world.village_mine.code]) in html


# --- scope and roles -------------------------------------------------------------------------------------------


def test_account_manager_gets_404_on_another_managers_household(world, login):
    theirs = household_make(world, village=world.village_other)
    person = member_make(world, theirs)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    for name in ("household-detail", "household-edit", "person-create", "photo-create"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404, name
    assert client.get(reverse("person-edit", args=[person.pk])).status_code == 404
    assert client.post(reverse("person-delete", args=[person.pk])).status_code == 404
    assert client.post(reverse("person-reveal", args=[person.pk, "id_number"])).status_code == 404
    assert client.get(reverse("village-households", args=[world.village_other.code])).status_code == 404
    assert client.get(reverse("village-export", args=[world.village_other.code])).status_code == 404
    assert Person.objects.filter(pk=person.pk).exists()


def test_liaison_sees_only_own_village(world, login):
    mine = household_make(world, number="001")
    theirs = household_make(world, village=world.village_other, number="002")
    client = login(world.users[roles.LIAISON])
    response = client.get(reverse("village-households", args=[world.village_mine.code]))
    assert [h.number for h in response.context["page"]] == ["001"]
    assert client.get(reverse("household-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("household-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("village-households", args=[world.village_other.code])).status_code == 404
    # a liaison helps collect data
    response = client.post(reverse("person-create", args=[mine.pk]), person_post())
    assert response.status_code == 302


@pytest.mark.parametrize("role", [roles.FARMER, roles.EVALUATOR])
def test_farmers_and_evaluators_are_refused(world, login, role):
    household = household_make(world)
    person = member_make(world, household)
    client = login(world.users[role])
    assert client.get(reverse("village-households", args=[world.village_mine.code])).status_code == 403
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 403
    assert client.post(reverse("person-reveal", args=[person.pk, "phone"])).status_code == 403
    assert client.get(reverse("village-export", args=[world.village_mine.code])).status_code == 403


def test_anonymous_goes_to_login(world, client):
    response = client.get(reverse("village-households", args=[world.village_mine.code]))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_auditor_reads_but_does_not_write(world, login):
    household = household_make(world)
    client = login(world.users[roles.AUDITOR])
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 200
    assert client.get(reverse("household-edit", args=[household.pk])).status_code == 403
    assert client.post(reverse("person-create", args=[household.pk]), person_post()).status_code == 403
    assert not Person.objects.exists()


def test_new_household_can_only_go_to_a_grid_in_scope(world, login):
    other_grid = Grid.objects.get(village=world.village_other)
    client = login(world.users[roles.ACCOUNT_MANAGER])
    data = household_post(grid=str(other_grid.pk))
    response = client.post(reverse("household-create", args=[world.village_mine.code]), data)
    assert list(response.context["form"].errors) == ["grid"]
    assert not Household.objects.exists()


# --- personal data: masked, revealed with an audit record ------------------------------------------------------


def _access_entries(field: str):
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__revealed_field=field)


@pytest.mark.parametrize(("field", "value"), [("id_number", HEAD_ID), ("phone", HEAD_PHONE)])
def test_reveal_returns_the_value_and_writes_an_audit_entry(world, login, field, value):
    person = member_make(world, household_make(world))
    manager = world.users[roles.ACCOUNT_MANAGER]
    response = login(manager).post(reverse("person-reveal", args=[person.pk, field]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert value in response.content.decode()
    entry = _access_entries(field).get()
    assert entry.actor == manager and entry.object_pk == str(person.pk)


def test_liaison_cannot_reveal(world, login):
    household = household_make(world, address="上塘路8号")
    person = member_make(world, household)
    client = login(world.users[roles.LIAISON])
    assert client.post(reverse("person-reveal", args=[person.pk, "id_number"])).status_code == 403
    assert client.post(reverse("household-reveal-address", args=[household.pk])).status_code == 403
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()
    html = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "reveal-id_number" not in html and "3307**********" in html


def test_reveal_needs_post_and_a_known_field(world, login):
    person = member_make(world, household_make(world))
    client = login(world.users[roles.ACCOUNT_MANAGER])
    assert client.get(reverse("person-reveal", args=[person.pk, "phone"])).status_code == 405
    assert client.post(reverse("person-reveal", args=[person.pk, "name"])).status_code == 404


def test_address_reveal_is_audited(world, login):
    household = household_make(world, address="上塘路8号")
    client = login(world.users[roles.BRANCH_MANAGER])
    assert "上塘路8号" not in client.get(reverse("household-detail", args=[household.pk])).content.decode()
    response = client.post(reverse("household-reveal-address", args=[household.pk]))
    assert "上塘路8号" in response.content.decode()
    assert _access_entries("address").get().actor == world.users[roles.BRANCH_MANAGER]


def test_pages_never_show_the_full_id_phone_or_address(world, login):
    household = household_make(world, address="上塘路8号")
    person = member_make(world, household)
    client = login(world.users[roles.HEAD_OFFICE])
    for url in (
        reverse("village-households", args=[world.village_mine.code]),
        reverse("village-households", args=[world.village_mine.code]) + f"?q={HEAD_ID[-4:]}",
        reverse("household-detail", args=[household.pk]),
        reverse("household-edit", args=[household.pk]),
        reverse("person-edit", args=[person.pk]),
    ):
        html = client.get(url).content.decode()
        assert HEAD_ID not in html and HEAD_PHONE not in html and "上塘路8号" not in html, url


# --- escaping and export ---------------------------------------------------------------------------------------


def test_a_script_name_is_shown_as_text(world, login):
    household = household_make(world, main_industry="<b>养殖</b>")
    member_make(world, household, name="<script>alert(1)</script>")
    client = login(world.users[roles.ACCOUNT_MANAGER])
    for url in (
        reverse("household-detail", args=[household.pk]),
        reverse("village-households", args=[world.village_mine.code]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>养殖</b>" not in client.get(reverse("household-detail", args=[household.pk])).content.decode()


def test_export_is_masked_and_keeps_formulas_as_text(world, login):
    household = household_make(world, annual_net_income_fen=8600050, debts_fen=0, address="上塘路8号")
    member_make(world, household, name="=1+1")
    member_make(world, household, relation="child", name="<script>x</script>", id_number=SPOUSE_ID, phone="")
    household_make(world, village=world.village_other, number="999")  # outside the manager's scope
    response = login(world.users[roles.ACCOUNT_MANAGER]).get(reverse("village-export", args=[world.village_mine.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    body = response.content
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["001", "001"]
    head, child = rows
    assert head[2].value == "=1+1" and head[2].data_type == "s"
    assert child[2].value == "<script>x</script>"
    assert head[3].value == HEAD_ID[:4] + "*" * 10 + HEAD_ID[-4:] and head[4].value == "138****5678"
    assert head[6].value == pytest.approx(86000.50) and head[6].number_format == "0.00"
    assert head[8].value == 0
    assert child[6].value is None
    text = load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
    flat = " ".join(str(v) for row in text for v in row)
    assert HEAD_ID not in flat and HEAD_PHONE not in flat and "上塘路8号" not in flat
    assert _access_entries("households_export").count() == 1
