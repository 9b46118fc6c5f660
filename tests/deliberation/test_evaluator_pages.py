"""背靠背评议 on the evaluator's phone: own open rounds only, one masked household card at a time, autosave
through htmx and a plain submit without JS, submission; scope answers 404, other roles 403, and no page of
anyone else ever carries a vote's content."""

import logging
import re

import pytest
from django.urls import reverse

from puhui.deliberation import granting
from puhui.deliberation.models import Ballot, PanelMember, Vote
from puhui.deliberation.services import campaign_launch, panel_member_add, round_open, vote_save
from puhui.households.models import Household, Person
from puhui.households.photos import photo_add
from puhui.households.services import person_identity_set
from puhui.org import roles
from tests.conftest import make_user
from tests.deliberation.conftest import GOOD_VOTE
from tests.households.test_photos import jpeg_bytes, upload

FULL = {"knows": "yes", "integrity": "good", "debt": "little", "high_interest": "no", "amount": "80000"}
HTMX = {"HTTP_HX_REQUEST": "true"}
ID_NUMBER = "330781197503010014"
PHONE = "13812345678"


@pytest.fixture
def manager(world):
    return world.users[roles.ACCOUNT_MANAGER]


@pytest.fixture
def evaluator(world):
    return world.users[roles.EVALUATOR]


@pytest.fixture
def round_(village, manager):
    return round_open(user=manager, campaign=village.campaign, households=village.households)


@pytest.fixture
def client_of(login):
    return login


def card_url(round_, n: int) -> str:
    return reverse("evaluate-card", kwargs={"round_id": round_.pk, "n": n})


def save_url(round_, n: int) -> str:
    return reverse("evaluate-save", kwargs={"round_id": round_.pk, "n": n})


def state(response) -> str:
    match = re.search(r'data-testid="save-status" data-state="(\w+)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


def own_vote(user, round_, household) -> Vote | None:
    return Vote.objects.filter(ballot__round=round_, ballot__member__user=user, entry__household=household).first()


def other_panel_round(world):
    """A round in another village whose panel the world's evaluator does not sit on."""
    other_manager = world.village_other.grids.get().account_manager
    campaign = campaign_launch(user=other_manager, village=world.village_other, plan_year=2017, kind="pilot")
    household = Household.objects.create(village=world.village_other, grid=world.village_other.grids.get(), number="X1")
    for n in range(5):
        panel_member_add(
            user=other_manager,
            campaign=campaign,
            evaluator=make_user(f"other{n}", roles.EVALUATOR),
            category=PanelMember.Category.REPRESENTATIVE,
        )
    return round_open(user=other_manager, campaign=campaign, households=[household])


def test_the_list_shows_only_own_open_rounds(world, village, manager, evaluator, client_of):
    closed = round_open(user=manager, campaign=village.campaign, households=village.households[:3])
    granting.village_batch_close(user=manager, round_id=closed.pk)
    open_ = round_open(user=manager, campaign=village.campaign, households=village.households[3:])
    foreign = other_panel_round(world)
    client = client_of(evaluator)
    page = client.get(reverse("evaluate-list")).content.decode()
    assert re.findall(r'data-round="(\d+)"', page) == [str(open_.pk)]
    assert 'data-testid="round-progress">0 / 7<' in page
    assert 'data-state="open"' in page
    assert world.village_mine.name in page and world.village_other.name not in page
    assert foreign.pk != open_.pk
    vote_save(user=evaluator, entry_id=open_.entries.first().pk, answers=GOOD_VOTE)
    assert 'data-testid="round-progress">1 / 7<' in client.get(reverse("evaluate-list")).content.decode()


def test_the_nav_link_is_for_evaluators(evaluator, manager, client_of):
    assert 'data-testid="nav-evaluate"' in client_of(evaluator).get(reverse("home")).content.decode()
    assert 'data-testid="nav-evaluate"' not in client_of(manager).get(reverse("home")).content.decode()


def test_anonymous_goes_to_login_and_other_roles_get_403(world, round_, client):
    response = client.get(reverse("evaluate-list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.post(save_url(round_, 1), FULL).status_code == 302
    for role in (roles.ACCOUNT_MANAGER, roles.FARMER, roles.AUDITOR, roles.HEAD_OFFICE):
        other = client.__class__()
        other.force_login(world.users[role])
        assert other.get(reverse("evaluate-list")).status_code == 403
        assert other.get(card_url(round_, 1)).status_code == 403
        assert other.post(save_url(round_, 1), FULL, **HTMX).status_code == 403
        assert other.get(reverse("evaluate-submit", args=[round_.pk])).status_code == 403
    assert not Vote.objects.exists()


def test_a_round_of_another_panel_is_404(world, village, round_, evaluator, client_of):
    foreign = other_panel_round(world)
    client = client_of(evaluator)
    for url in (
        reverse("evaluate-round", args=[foreign.pk]),
        card_url(foreign, 1),
        reverse("evaluate-submit", args=[foreign.pk]),
        reverse("evaluate-done", args=[foreign.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(save_url(foreign, 1), FULL, **HTMX).status_code == 404
    assert client.post(reverse("evaluate-submit", args=[foreign.pk])).status_code == 404
    assert client.get(card_url(round_, 11)).status_code == 404
    assert client.get(card_url(round_, 0)).status_code == 404
    assert not Vote.objects.exists()


def test_the_card_shows_the_masked_head_and_no_identity(village, round_, evaluator, client_of):
    household = village.households[0]
    household.address = "诸葛村上塘路8号"
    household.main_industry = "柑橘种植"
    household.land_area_mu = "12.50"
    household.is_low_income = True
    household.save()
    head = Person.objects.get(household=household, relation="head")
    person_identity_set(head, ID_NUMBER, PHONE)
    head.save()
    client = client_of(evaluator)
    response = client.get(reverse("evaluate-round", args=[round_.pk]))
    assert response.url == card_url(round_, 1)
    page = client.get(card_url(round_, 1)).content.decode()
    assert 'data-testid="head-name">张*明<' in page
    assert 'data-testid="household-number">V000<' in page
    assert 'data-testid="household-size">2<' in page
    assert 'data-testid="main-industry">柑橘种植<' in page
    assert 'data-testid="land">12.50<' in page
    assert 'data-testid="card-position">1 / 10<' in page
    for secret in ("张0明", "李0", ID_NUMBER, head.id_masked, PHONE, head.phone_masked, "上塘路"):
        assert secret not in page, secret
    assert 'data-state="empty"' in page
    for name in ("knows", "integrity", "habits", "debt", "high_interest", "refusal_reasons"):
        assert f'name="{name}"' in page
    assert 'inputmode="decimal"' in page and 'hx-post="' + save_url(round_, 1) + '"' in page


def test_autosave_creates_and_updates_the_own_vote(village, round_, evaluator, client_of):
    client = client_of(evaluator)
    household = village.households[0]
    partial = client.post(save_url(round_, 1), {"knows": "yes", "integrity": "good"}, **HTMX)
    assert partial.status_code == 200 and state(partial) == "incomplete"
    assert 'data-testid="save-missing"' not in partial.content.decode()  # no error noise while typing
    assert own_vote(evaluator, round_, household) is None

    saved = client.post(save_url(round_, 1), {**FULL, "habits": ["alcoholism"]}, **HTMX)
    assert state(saved) == "saved"
    assert 'id="rated-count" hx-swap-oob="true" data-testid="rated-count">1<' in saved.content.decode()
    vote = own_vote(evaluator, round_, household)
    assert (vote.knows_household, vote.integrity, vote.debt, vote.suggested_fen) == (True, "good", "little", 8_000_000)
    assert (vote.habits, vote.informal_high_interest, vote.refusal_reasons) == (["alcoholism"], False, [])

    page = client.get(card_url(round_, 1)).content.decode()  # the author sees their own answers back
    assert 'value="80000"' in page and 'id="integrity-good" value="good" autocomplete="off" checked' in page
    assert 'data-state="saved"' in page

    refusal = {**FULL, "amount": "0", "refusal_reasons": ["debt_too_high"]}
    assert state(client.post(save_url(round_, 1), {**refusal, "refusal_reasons": []}, **HTMX)) == "incomplete"
    assert own_vote(evaluator, round_, household).suggested_fen == 8_000_000  # unfinished: the last vote stays
    assert state(client.post(save_url(round_, 1), refusal, **HTMX)) == "saved"
    vote = own_vote(evaluator, round_, household)
    assert (vote.suggested_fen, vote.refusal_reasons) == (0, ["debt_too_high"])
    # the reasons are dropped once the amount is no refusal any more (their box hides)
    assert state(client.post(save_url(round_, 1), {**refusal, "amount": "50000.50"}, **HTMX)) == "saved"
    vote = own_vote(evaluator, round_, household)
    assert (vote.suggested_fen, vote.refusal_reasons) == (5_000_050, [])

    bad = client.post(save_url(round_, 1), {**FULL, "amount": "1.001"}, **HTMX)
    assert state(bad) == "invalid" and 'data-testid="save-error"' in bad.content.decode()
    assert "1.001" not in bad.content.decode()
    tampered = client.post(save_url(round_, 1), {**FULL, "integrity": "superb"}, **HTMX)
    assert state(tampered) == "invalid" and "superb" not in tampered.content.decode()
    assert own_vote(evaluator, round_, household).suggested_fen == 5_000_050

    abstain = client.post(save_url(round_, 1), {**FULL, "knows": "no"}, **HTMX)
    assert state(abstain) == "saved"
    vote = own_vote(evaluator, round_, household)
    assert (vote.knows_household, vote.integrity, vote.suggested_fen) == (False, "", 0)
    assert Vote.objects.count() == 1
    page = client.get(card_url(round_, 1)).content.decode()
    assert 'id="vote-details" data-testid="vote-details" hidden' in page


def test_the_plain_submit_saves_and_moves_on(village, round_, evaluator, client_of):
    client = client_of(evaluator)
    response = client.post(save_url(round_, 1), {**FULL, "go": "next"})
    assert response.status_code == 302 and response.url == card_url(round_, 2)
    assert own_vote(evaluator, round_, village.households[0]).suggested_fen == 8_000_000

    stay = client.post(save_url(round_, 2), {"knows": "yes", "go": "next"})
    assert stay.status_code == 200 and state(stay) == "incomplete"
    page = stay.content.decode()
    assert 'data-testid="save-missing"' in page and 'data-testid="skip"' in page
    assert 'id="knows-yes" value="yes" autocomplete="off" checked' in page  # what was tapped stays tapped
    skip = client.post(save_url(round_, 2), {"knows": "yes", "go": "skip"})
    assert skip.url == card_url(round_, 3)
    untouched = client.post(save_url(round_, 3), {"go": "next"})  # nothing tapped: just the next card
    assert untouched.url == card_url(round_, 4)
    invalid = client.post(save_url(round_, 4), {**FULL, "amount": "abc", "go": "next"})
    assert invalid.status_code == 200 and state(invalid) == "invalid"
    assert client.post(save_url(round_, 4), {**FULL, "go": "prev"}).url == card_url(round_, 3)
    assert client.post(save_url(round_, 10), {**FULL, "go": "next"}).url == reverse("evaluate-submit", args=[round_.pk])
    assert Vote.objects.filter(ballot__member__user=evaluator).count() == 3
    assert client.get(reverse("evaluate-round", args=[round_.pk])).url == card_url(round_, 2)


def test_an_excluded_household_is_not_reachable(village, manager, evaluator, client_of):
    relative = village.households[4]
    PanelMember.objects.get(campaign=village.campaign, user=evaluator).relatives.set([relative])
    round_ = round_open(user=manager, campaign=village.campaign, households=village.households)
    client = client_of(evaluator)
    numbers = []
    for n in range(1, 10):
        page = client.get(card_url(round_, n)).content.decode()
        numbers.append(re.search(r'data-testid="household-number">(\w+)<', page).group(1))
        assert f'data-testid="card-position">{n} / 9<' in page
        assert client.post(save_url(round_, n), FULL, **HTMX).status_code == 200
    assert relative.number not in numbers and len(set(numbers)) == 9
    assert client.get(card_url(round_, 10)).status_code == 404
    assert client.post(save_url(round_, 10), FULL, **HTMX).status_code == 404
    assert own_vote(evaluator, round_, relative) is None
    done = client.post(reverse("evaluate-submit", args=[round_.pk]))
    assert done.url == reverse("evaluate-done", args=[round_.pk])


def test_submission_then_the_cards_are_read_only(village, round_, evaluator, client_of):
    client = client_of(evaluator)
    client.post(save_url(round_, 1), FULL, **HTMX)
    early = client.post(reverse("evaluate-submit", args=[round_.pk]))
    assert early.status_code == 200 and 'data-testid="refusal"' in early.content.decode()
    assert Ballot.objects.get(round=round_, member__user=evaluator).submitted_at is None
    summary = client.get(reverse("evaluate-submit", args=[round_.pk])).content.decode()
    assert 'data-testid="count-missing">9<' in summary and 'data-testid="submit-button"' not in summary
    for n in range(2, 11):
        client.post(save_url(round_, n), {**FULL, "knows": "no"} if n == 2 else FULL, **HTMX)
    summary = client.get(reverse("evaluate-submit", args=[round_.pk])).content.decode()
    assert 'data-testid="count-rated">10<' in summary and 'data-testid="count-abstained">1<' in summary
    assert 'data-testid="submit-button"' in summary
    response = client.post(reverse("evaluate-submit", args=[round_.pk]))
    assert response.url == reverse("evaluate-done", args=[round_.pk])
    assert 'data-testid="submitted"' in client.get(response.url).content.decode()
    assert client.post(reverse("evaluate-submit", args=[round_.pk])).url == response.url  # a double tap

    refused = client.post(save_url(round_, 1), {**FULL, "amount": "99999"}, **HTMX)
    assert state(refused) == "refused" and "99999" not in refused.content.decode()
    plain = client.post(save_url(round_, 1), {**FULL, "amount": "99999", "go": "next"})
    assert plain.url == card_url(round_, 1)
    assert own_vote(evaluator, round_, village.households[0]).suggested_fen == 8_000_000
    page = client.get(card_url(round_, 1)).content.decode()
    assert 'data-state="submitted"' in page and 'data-testid="vote-form"' not in page
    assert "80000" not in page  # read-only: not even the author's answers any more
    assert 'data-state="submitted"' in client.get(reverse("evaluate-list")).content.decode()
    assert client.get(reverse("evaluate-round", args=[round_.pk])).url == response.url


def test_a_closed_round_is_gone(village, round_, manager, evaluator, client_of):
    client = client_of(evaluator)
    client.post(save_url(round_, 1), FULL, **HTMX)
    granting.village_batch_close(user=manager, round_id=round_.pk)
    assert client.get(card_url(round_, 1)).status_code == 404
    assert client.get(reverse("evaluate-submit", args=[round_.pk])).status_code == 404
    assert 'data-testid="no-rounds"' in client.get(reverse("evaluate-list")).content.decode()
    refused = client.post(save_url(round_, 1), {**FULL, "amount": "1"}, **HTMX)
    assert state(refused) == "refused"
    assert own_vote(evaluator, round_, village.households[0]).suggested_fen == 8_000_000


def test_photos_are_served_for_the_card_only(world, village, round_, manager, evaluator, client_of):
    first = photo_add(user=manager, household=village.households[0], kind="house", upload=upload(jpeg_bytes((80, 60))))
    second = photo_add(
        user=manager, household=village.households[1], kind="family", upload=upload(jpeg_bytes((80, 60)))
    )
    client = client_of(evaluator)
    page = client.get(card_url(round_, 1)).content.decode()
    url = reverse("evaluate-photo", kwargs={"round_id": round_.pk, "n": 1, "photo_id": first.pk})
    assert f'src="{url}"' in page and page.count('data-testid="photo"') == 1
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    closers = list(response._resource_closers)  # the file only: response.close() would also end the
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # test's database connection (a JPEG)
    for close in closers:
        close()
    wrong = reverse("evaluate-photo", kwargs={"round_id": round_.pk, "n": 1, "photo_id": second.pk})
    assert client.get(wrong).status_code == 404
    assert client.get(reverse("photo-thumbnail", args=[first.pk])).status_code == 403  # the staff URL is not theirs
    outsider = client_of(make_user("outsider", roles.EVALUATOR))
    assert outsider.get(url).status_code == 404


def test_no_one_else_sees_a_vote(world, village, round_, manager, evaluator, client_of, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_of(evaluator)
    client.post(save_url(round_, 1), {**FULL, "amount": "123456.78", "habits": ["gambling"]}, **HTMX)
    reason = "邻里纠纷之独特理由"
    entry = round_.entries.get(household=village.households[1])
    vote_save(user=evaluator, entry_id=entry.pk, answers={**GOOD_VOTE, "suggested_fen": 0, "refusal_reasons": [reason]})
    assert "123456.78" in client.get(card_url(round_, 1)).content.decode()  # the author's own view

    secrets = ("123456.78", "12345678", "123,456.78", reason)
    colleague = client_of(village.panel[1])
    urls = [reverse("evaluate-list"), reverse("evaluate-submit", args=[round_.pk]), reverse("home")]
    urls += [card_url(round_, n) for n in range(1, 11)]
    for url in urls:
        page = colleague.get(url).content.decode()
        for secret in secrets:
            assert secret not in page, (url, secret)
    assert 'data-state="empty"' in colleague.get(card_url(round_, 1)).content.decode()

    staff = client_of(manager)
    staff_urls = [
        reverse("home"),
        reverse("village-detail", args=[world.village_mine.code]),
        reverse("village-households", args=[world.village_mine.code]),
        reverse("household-detail", args=[village.households[0].pk]),
        reverse("household-detail", args=[village.households[1].pk]),
        reverse("evaluate-list"),
        card_url(round_, 1),
    ]
    for url in staff_urls:
        page = staff.get(url).content.decode()
        for secret in secrets:
            assert secret not in page, (url, secret)

    client.post(reverse("evaluate-submit", args=[round_.pk]))
    client.post(save_url(round_, 1), {**FULL, "amount": "123456.78"}, **HTMX)  # refused after submission
    client.post(save_url(round_, 1), {**FULL, "amount": "123456.789"}, **HTMX)
    client.get(card_url(round_, 99))
    for secret in (*secrets, "123456.789", "gambling"):
        assert secret not in caplog.text


def test_a_member_seated_after_the_round_opened_joins_it(village, round_, manager, client_of):
    late = make_user("late", roles.EVALUATOR)
    panel_member_add(user=manager, campaign=village.campaign, evaluator=late, category="representative")
    client = client_of(late)
    assert 'data-testid="no-rounds"' not in client.get(reverse("evaluate-list")).content.decode()
    assert client.get(card_url(round_, 1)).status_code == 200
    assert client.post(save_url(round_, 1), FULL, **HTMX).status_code == 200
