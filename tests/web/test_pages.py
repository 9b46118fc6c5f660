"""Pages per role: Chinese, scoped, 404 outside scope, login required."""

import pytest
from django.test import Client

from puhui.org import roles

STAFF_EXPECTED = {
    roles.HEAD_OFFICE: {"330781101201", "330781102201", "330781102202"},
    roles.AUDITOR: {"330781101201", "330781102201", "330781102202"},
    roles.BRANCH_MANAGER: {"330781102201", "330781102202"},
    roles.ACCOUNT_MANAGER: {"330781102201"},
    roles.LIAISON: {"330781102201"},
}
ALL_CODES = ("330781101201", "330781102201", "330781102202")


def test_login_page_is_chinese(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "用户名" in html and "密码" in html


def test_english_is_switchable(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html and "Log in" in html


@pytest.mark.parametrize("path", ["/", "/villages/", "/villages/330781102201/"])
def test_anonymous_is_sent_to_login(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_login_with_password_reaches_home(world):
    from tests.conftest import PASSWORD

    client = Client()
    response = client.post("/login/", {"username": "manager", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "您的管辖范围" in response.content.decode()


def test_wrong_password_shows_chinese_error(world):
    response = Client().post("/login/", {"username": "manager", "password": "wrong-password"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.parametrize("role", sorted(STAFF_EXPECTED))
def test_village_pages_per_role(world, login, role):
    client = login(world.users[role])
    html = client.get("/villages/").content.decode()
    for code in ALL_CODES:
        assert (f'data-code="{code}"' in html) == (code in STAFF_EXPECTED[role])
        detail = client.get(f"/villages/{code}/")
        assert detail.status_code == (200 if code in STAFF_EXPECTED[role] else 404)


def test_village_list_filter_outside_scope_is_404(world, login):
    client = login(world.users[roles.BRANCH_MANAGER])
    assert client.get("/villages/", {"township": "330781101"}).status_code == 404
    assert client.get("/villages/", {"township": "330781102"}).status_code == 200


@pytest.mark.parametrize("role", [roles.EVALUATOR, roles.FARMER])
def test_non_staff_cannot_open_staff_pages(world, login, role):
    client = login(world.users[role])
    assert client.get("/villages/").status_code == 403
    assert client.get("/villages/330781102201/").status_code == 403
    home = client.get("/")
    assert home.status_code == 200
    assert 'data-testid="count-villages">0<' in home.content.decode()


def _home_counts(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'data-testid="count-(\w+)">([\d,]+)<', html))


def test_home_counts_are_the_scope(world, login):
    counts = _home_counts(login(world.users[roles.BRANCH_MANAGER]).get("/").content.decode())
    assert counts == {"townships": "1", "villages": "2", "grids": "2", "population": "5,000"}
    counts = _home_counts(login(world.users[roles.HEAD_OFFICE]).get("/").content.decode())
    assert counts == {"townships": "2", "villages": "3", "grids": "3", "population": "6,500"}
    counts = _home_counts(login(world.users[roles.ACCOUNT_MANAGER]).get("/").content.decode())
    assert counts == {"townships": "1", "villages": "1", "grids": "1", "population": "3,000"}


def test_header_shows_business_date(world, login):
    import datetime

    from puhui.core.services import business_date_set

    business_date_set(business_date=datetime.date(2017, 6, 30))
    html = login(world.users[roles.ACCOUNT_MANAGER]).get("/").content.decode()
    assert "营业日" in html and "2017-06-30" in html


def test_admin_is_chinese_and_limited(world, login):
    head = login(world.users[roles.HEAD_OFFICE])
    html = head.get("/admin/org/village/").content.decode()
    assert "行政村/社区" in html and "诸葛村" in html
    auditor = login(world.users[roles.AUDITOR])
    assert auditor.get("/admin/org/village/").status_code == 200
    assert auditor.get("/admin/org/village/add/").status_code == 403
    assert login(world.users[roles.ACCOUNT_MANAGER]).get("/admin/").status_code == 302


def test_names_are_escaped(world, login):
    world.village_mine.name = "<script>x</script>"
    world.village_mine.save()
    html = login(world.users[roles.ACCOUNT_MANAGER]).get("/villages/").content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_browser_language_does_not_switch_to_english(db):
    """Chinese is the default of every page, whatever Accept-Language the device sends."""
    html = Client(headers={"Accept-Language": "en-US,en;q=0.9"}).get("/login/").content.decode()
    assert '<html lang="zh-hans">' in html and "登录" in html


def test_api_messages_are_chinese_by_default(db):
    response = Client(headers={"Accept-Language": "en"}).get("/api/v1/villages")
    assert "令牌" in response.json()["error"]["message"]
