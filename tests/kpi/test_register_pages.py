"""Pages of the service-point register and the designations: scope, roles, the upload, 'evaluate now'."""

import datetime
import io

import pytest
from django.conf import settings
from openpyxl import Workbook

from puhui.core.services import business_date_set
from puhui.kpi.models import Designation, DesignationRun, ServicePoint
from puhui.kpi.service_points import HEADERS
from puhui.org import roles

D = datetime.date
PAGE = "/kpi/service-points/"
DESIGNATIONS = "/kpi/designations/"
EVALUATE = "/kpi/designations/evaluate/"


def upload(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(list(row))
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "points.xlsx"
    return data


@pytest.fixture
def points(world):
    ServicePoint.objects.create(village=world.village_mine, kind="atm", name="诸葛ATM", active_from=D(2018, 1, 1))
    ServicePoint.objects.create(
        village=world.village_out, kind="pos", name="下陈POS", active_from=D(2018, 1, 1), active_until=D(2018, 5, 1)
    )
    business_date_set(business_date=D(2018, 6, 1))
    return world


def village_codes(response) -> set[str]:
    html = response.content.decode()
    return {code for code in ("330781102201", "330781102202", "330781101201") if f'data-code="{code}"' in html}


def test_register_in_scope(points, login):
    head = login(points.users[roles.HEAD_OFFICE])
    response = head.get(PAGE)
    assert response.status_code == 200
    assert village_codes(response) == {"330781102201", "330781102202", "330781101201"}
    html = response.content.decode()
    assert "诸葛ATM" in html and "下陈POS" in html and 'data-testid="sp-upload"' in html
    assert 'data-code="330781102201" data-served="1"' in html
    assert 'data-code="330781101201" data-served="0"' in html  # its POS stopped on 2018-05-01
    branch = login(points.users[roles.BRANCH_MANAGER]).get(PAGE)
    assert village_codes(branch) == {"330781102201", "330781102202"} and "下陈POS" not in branch.content.decode()
    manager = login(points.users[roles.ACCOUNT_MANAGER]).get(PAGE)
    assert village_codes(manager) == {"330781102201"} and 'data-testid="sp-upload"' not in manager.content.decode()
    assert village_codes(head.get(PAGE, {"township": "330781101"})) == {"330781101201"}
    assert login(points.users[roles.BRANCH_MANAGER]).get(PAGE, {"township": "330781101"}).status_code == 404
    assert login(points.users[roles.BRANCH_MANAGER]).get(PAGE, {"township": "abc"}).status_code == 404


def test_roles(points, login, client):
    assert client.get(PAGE).status_code == 302
    for role in (roles.FARMER, roles.EVALUATOR):
        assert login(points.users[role]).get(PAGE).status_code == 403
        assert login(points.users[role]).get(DESIGNATIONS).status_code == 403
    manager = login(points.users[roles.ACCOUNT_MANAGER])
    assert manager.post(PAGE, {"file": upload([])}).status_code == 403
    auditor = login(points.users[roles.AUDITOR])
    assert auditor.post(PAGE, {"file": upload([])}).status_code == 403
    assert auditor.post(EVALUATE).status_code == 403
    assert login(points.users[roles.BRANCH_MANAGER]).post(EVALUATE).status_code == 403
    assert login(points.users[roles.HEAD_OFFICE]).get(EVALUATE).status_code == 405
    assert not DesignationRun.objects.exists()


def test_upload_applies_good_rows_and_lists_bad_ones(points, login):
    branch = login(points.users[roles.BRANCH_MANAGER])
    rows = [
        ("330781102202", "助农终端", "长乐助农点", "2018-03-01", None),
        ("330781101201", "ATM", "越界", "2018-03-01", None),
        ("330781102201", "柜员机", "<script>alert(1)</script>", "2018-03-01", None),
    ]
    response = branch.post(PAGE, {"file": upload(rows)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="sp-result"' in html and 'data-testid="sp-rejected"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert set(ServicePoint.objects.values_list("name", flat=True)) == {"诸葛ATM", "下陈POS", "长乐助农点"}
    assert 'data-code="330781102202" data-served="1"' in html  # the new point is active on the business date


def test_upload_of_a_bad_file_says_so(points, login):
    head = login(points.users[roles.HEAD_OFFICE])
    bad = io.BytesIO(b"not a workbook")
    bad.name = "x.xlsx"
    response = head.post(PAGE, {"file": bad}, follow=True)
    assert response.status_code == 200 and ServicePoint.objects.count() == 2
    assert "alert-danger" in response.content.decode() or "alert-error" in response.content.decode()
    assert head.post(PAGE, {}).status_code == 200


def test_template_download(points, login):
    response = login(points.users[roles.BRANCH_MANAGER]).get("/kpi/service-points/template/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_designations_page_and_evaluate_now(points, login):
    head = points.users[roles.HEAD_OFFICE]
    run = DesignationRun.objects.create(as_of=D(2018, 1, 1), trigger="yearly", counts={"village_held": 2})
    Designation.objects.create(level="village", village=points.village_mine, since=D(2018, 1, 1), granted_run=run)
    Designation.objects.create(level="village", village=points.village_out, since=D(2018, 1, 1), granted_run=run)
    Designation.objects.create(
        level="village",
        village=points.village_other,
        since=D(2017, 1, 1),
        until=D(2018, 1, 1),
        granted_run=run,
        lost_run=run,
        lost_reasons=[{"code": "npl_ratio", "value": "5.00%", "limit": "5.00%"}],
    )
    Designation.objects.create(level="township", township=points.township_in, since=D(2018, 1, 1), granted_run=run)
    english = login(head)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the texts checked below are the English msgids
    page = english.get(DESIGNATIONS)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="designations-evaluate"' in html
    assert 'data-code="330781102201"' in html and 'data-code="330781101201"' in html
    assert "2017-01-01 –<br>2018-01-01" in html and "5.00%" in html and "诸葛镇" in html
    assert "at least 70% of its households" in html and "below 5%" in html and "grade A or better" in html
    branch = login(points.users[roles.BRANCH_MANAGER]).get(DESIGNATIONS).content.decode()
    assert 'data-code="330781101201"' not in branch and 'data-code="330781102201"' in branch
    assert 'data-testid="designations-evaluate"' not in branch
    response = login(head).post(EVALUATE)
    assert response.status_code == 302 and response["Location"] == DESIGNATIONS
    latest = DesignationRun.objects.order_by("-pk").first()
    assert (latest.as_of, latest.trigger, latest.run_by) == (D(2018, 6, 1), "on_demand", head)
    # nobody holds a rating here: every village period is closed by the run, with its reasons
    assert not Designation.objects.filter(level="village", until__isnull=True).exists()
    earlier = DesignationRun.objects.create(as_of=D(2019, 1, 1), trigger="yearly")
    refused = login(head).post(EVALUATE, follow=True)
    assert "2019-01-01" in refused.content.decode() and DesignationRun.objects.order_by("-pk").first() == earlier
