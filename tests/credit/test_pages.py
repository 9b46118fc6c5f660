"""Credit-line pages: a farmer draws and repays on the phone through a confirmation; staff post at the counter;
scope answers 404; auditor and liaison read only."""

import pytest
from django.urls import reverse

from puhui.credit.models import CreditLine, Journal, Loan
from puhui.credit.views import PENDING_KEY
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import User
from tests.credit.test_money_services import assert_books_balanced, make_line


@pytest.fixture
def line(world) -> CreditLine:
    line = make_line(world)
    Person.objects.filter(pk=line.borrower_id).update(user=world.users[roles.FARMER])
    return line


@pytest.fixture
def farmer(login, world):
    return login(world.users[roles.FARMER])


@pytest.fixture
def manager(login, world):
    return login(world.users[roles.ACCOUNT_MANAGER])


def _confirm_url(response) -> str:
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("form").errors
    assert "/confirm/" in response.url
    return response.url


def farmer_post(client, line, action: str, amount: str):
    """Amount step → confirmation page → confirm; returns the confirm response."""
    response = client.post(reverse(f"my-credit-{action}", args=[line.pk]), {"amount": amount})
    url = _confirm_url(response)
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="confirm-button"' in page.content.decode()
    return client.post(url)


def test_farmer_draws_and_repays_through_confirmation(world, line, farmer):
    page = farmer.get(reverse("my-credit"))
    assert page.status_code == 200
    assert f'data-line="{line.pk}"' in page.content.decode()

    response = farmer.post(reverse("my-credit-draw", args=[line.pk]), {"amount": "20000.00"})
    confirm = farmer.get(_confirm_url(response))
    assert "20,000.00" in confirm.content.decode()
    assert Journal.objects.count() == 0  # the amount step posts nothing
    done = farmer.post(response.url)
    assert done.status_code == 302 and done.url == reverse("my-credit")

    line.refresh_from_db()
    assert line.outstanding_principal_fen == 2_000_000
    loan = Loan.objects.get(line=line)
    assert (loan.principal_fen, loan.channel, loan.created_by) == (2_000_000, "mobile", world.users[roles.FARMER])

    done = farmer_post(farmer, line, "repay", "5000.00")
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 1_500_000
    assert list(Journal.objects.filter(line=line).order_by("pk").values_list("kind", flat=True)) == [
        "drawdown",
        "repayment",
    ]
    assert_books_balanced()

    page = farmer.get(reverse("my-credit")).content.decode()
    assert 'data-testid="line-outstanding">15,000.00<' in page
    assert 'data-testid="line-available">285,000.00<' in page
    assert page.count('data-testid="statement-entry"') == 2


def test_double_submitting_the_confirm_posts_once(line, farmer):
    response = farmer.post(reverse("my-credit-draw", args=[line.pk]), {"amount": "100.00"})
    url = _confirm_url(response)
    pending = dict(farmer.session[PENDING_KEY])
    assert farmer.post(url).status_code == 302
    assert farmer.post(url).status_code == 302  # the second tap finds the token consumed
    assert Journal.objects.filter(line=line).count() == 1

    # Two taps that both read the session before either saved it: the token is also a unique key.
    session = farmer.session
    session[PENDING_KEY] = pending
    session.save()
    assert farmer.post(url).status_code == 302
    assert Journal.objects.filter(line=line).count() == 1
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 10_000


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "abc", ""])
def test_bad_amounts_show_errors_and_post_nothing(line, farmer, amount):
    response = farmer.post(reverse("my-credit-draw", args=[line.pk]), {"amount": amount})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert 'data-testid="error-amount"' in response.content.decode()
    assert not farmer.session.get(PENDING_KEY)
    assert Journal.objects.count() == 0


def test_a_refusal_shows_the_service_message_and_posts_nothing(line, farmer):
    response = farmer.post(reverse("my-credit-draw", args=[line.pk]), {"amount": "300000.01"})
    refused = farmer.post(_confirm_url(response))
    assert refused.status_code == 200
    assert 'data-testid="form-refusal"' in refused.content.decode()
    assert refused.context["form"].non_field_errors()
    assert Journal.objects.count() == 0
    assert farmer.post(response.url).status_code == 302  # the token was consumed by the refusal
    assert Journal.objects.count() == 0


def test_a_farmer_cannot_open_another_households_line(world, line, farmer):
    household = Household.objects.create(village=world.village_mine, grid=world.grid_mine, number="H2")
    other = CreditLine.objects.create(
        household=household,
        borrower=Person.objects.create(household=household, relation="head", name="李四"),
        limit_fen=100_000,
        grade="A",
        rate=line.rate,
        start_date=line.start_date,
        end_date=line.end_date,
    )
    for name in ("my-credit-draw", "my-credit-repay"):
        assert farmer.get(reverse(name, args=[other.pk])).status_code == 404
        assert farmer.post(reverse(name, args=[other.pk]), {"amount": "1.00"}).status_code == 404
    assert f'data-line="{other.pk}"' not in farmer.get(reverse("my-credit")).content.decode()
    assert farmer.get(reverse("credit-line-detail", args=[line.pk])).status_code == 403
    assert Journal.objects.count() == 0


def test_staff_pages_are_not_for_farmers_and_farmer_pages_not_for_staff(line, farmer, manager):
    assert farmer.get(reverse("credit-line-list")).status_code == 403
    assert manager.get(reverse("my-credit")).status_code == 403


def test_account_manager_posts_at_the_counter_and_prints_a_receipt(world, line, manager):
    detail = manager.get(reverse("credit-line-detail", args=[line.pk]))
    assert detail.status_code == 200 and 'data-testid="staff-draw-form"' in detail.content.decode()

    response = manager.post(
        reverse("credit-line-draw", args=[line.pk]), {"draw-amount": "20000.00", "draw-channel": "field"}
    )
    assert manager.get(_confirm_url(response)).status_code == 200
    assert manager.post(response.url).url == reverse("credit-line-detail", args=[line.pk])
    response = manager.post(
        reverse("credit-line-repay", args=[line.pk]), {"repay-amount": "5000", "repay-channel": "counter"}
    )
    manager.post(_confirm_url(response))

    loan = Loan.objects.get(line=line)
    assert (loan.channel, loan.created_by) == ("field", world.users[roles.ACCOUNT_MANAGER])
    line.refresh_from_db()
    assert line.outstanding_principal_fen == 1_500_000
    page = manager.get(reverse("credit-line-detail", args=[line.pk])).content.decode()
    assert page.count('data-testid="posting"') == 2

    repayment = Journal.objects.get(line=line, kind="repayment")
    receipt = manager.get(reverse("credit-line-receipt", args=[line.pk, repayment.pk]))
    assert receipt.status_code == 200
    assert 'data-testid="receipt-amount">5,000.00<' in receipt.content.decode()
    assert 'data-testid="receipt-principal">5,000.00<' in receipt.content.decode()


def test_staff_refuses_a_farmer_channel_and_bad_amounts(line, manager):
    response = manager.post(
        reverse("credit-line-draw", args=[line.pk]), {"draw-amount": "100", "draw-channel": "mobile"}
    )
    assert response.status_code == 200 and response.context["draw_form"].errors["channel"]
    response = manager.post(
        reverse("credit-line-draw", args=[line.pk]), {"draw-amount": "1.001", "draw-channel": "counter"}
    )
    assert response.status_code == 200 and response.context["draw_form"].errors["amount"]
    assert Journal.objects.count() == 0


def test_staff_scope_answers_404(world, line, login):
    for username in ("manager2", "manager3"):
        client = login(User.objects.get(username=username))
        assert client.get(reverse("credit-line-detail", args=[line.pk])).status_code == 404
        assert client.get(reverse("credit-line-list")).context["page"].paginator.count == 0
        response = client.post(
            reverse("credit-line-draw", args=[line.pk]), {"draw-amount": "100", "draw-channel": "counter"}
        )
        assert response.status_code == 404
    assert Journal.objects.count() == 0


def test_receipt_of_another_lines_posting_is_404(world, line, manager):
    other = make_line_elsewhere(world, line)
    from puhui.credit.services import line_drawdown

    line_drawdown(user=world.users[roles.ACCOUNT_MANAGER], line_id=other.pk, amount_fen=100, channel="counter")
    journal = Journal.objects.get(line=other)
    assert manager.get(reverse("credit-line-receipt", args=[line.pk, journal.pk])).status_code == 404
    assert manager.get(reverse("credit-line-receipt", args=[other.pk, journal.pk])).status_code == 404


def make_line_elsewhere(world, line) -> CreditLine:
    household = Household.objects.create(village=world.village_out, grid=world.village_out.grids.get(), number="X1")
    return CreditLine.objects.create(
        household=household,
        borrower=Person.objects.create(household=household, relation="head", name="王五"),
        limit_fen=100_000,
        grade="A",
        rate=line.rate,
        start_date=line.start_date,
        end_date=line.end_date,
    )


def test_auditor_reads_but_cannot_post(world, line, login):
    auditor = login(world.users[roles.AUDITOR])
    page = auditor.get(reverse("credit-line-detail", args=[line.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="read-only"' in content and "staff-draw-form" not in content
    assert auditor.get(reverse("credit-line-list")).context["page"].paginator.count == 1
    assert auditor.get(reverse("credit-line-list"), {"status": "frozen"}).context["page"].paginator.count == 0
    assert auditor.get(reverse("credit-line-list"), {"status": "active"}).context["page"].paginator.count == 1
    for name, data in (
        ("credit-line-draw", {"draw-amount": "1", "draw-channel": "counter"}),
        ("credit-line-repay", {"repay-amount": "1", "repay-channel": "counter"}),
    ):
        assert auditor.post(reverse(name, args=[line.pk]), data).status_code == 403
    assert auditor.post(reverse("credit-line-confirm", args=[line.pk, "x" * 24])).status_code == 403
    assert Journal.objects.count() == 0


def test_liaison_sees_the_village_line_but_cannot_post(world, line, login):
    liaison = login(world.users[roles.LIAISON])
    assert liaison.get(reverse("credit-line-detail", args=[line.pk])).status_code == 200
    response = liaison.post(
        reverse("credit-line-draw", args=[line.pk]), {"draw-amount": "100", "draw-channel": "counter"}
    )
    assert response.status_code == 403
    assert Journal.objects.count() == 0


def test_anonymous_goes_to_login(client, line):
    for url in (reverse("my-credit"), reverse("credit-line-detail", args=[line.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


def test_the_line_page_shows_what_is_due_now_after_settlement(world, login):
    from puhui.credit.eod import eod_run
    from tests.credit.test_eod import drawn

    loan = drawn(world, 1_000_000)
    eod_run(user=world.users[roles.HEAD_OFFICE], until=loan.drawn_on.replace(day=21))
    page = login(world.users[roles.ACCOUNT_MANAGER]).get(f"/credit-lines/{loan.line_id}/").content.decode()
    # 18 days of interest settled on the 20th (21.75) are due and unpaid on the 22nd: 1 day past due, 关注;
    # everything: 10,000 + 21.75 + the 21st's day of interest (1.21) + compound interest still under a fen
    assert 'data-testid="line-due-now"' in page and "<strong>21.75</strong>" in page
    assert "10,022.96" in page and 'data-testid="loan-class"' in page and "关注" in page
    assert 'data-status="frozen"' in page
