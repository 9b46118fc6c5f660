"""`puhui eod`: one day by default, or every date up to --until, with a progress bar and per-day counts."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from puhui.core.selectors import business_date_current
from puhui.credit.models import EodRun
from tests.credit.test_eod import drawn
from tests.credit.test_money_services import START


def run_command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("eod", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_day_by_default_then_until_a_date(world):
    drawn(world, 1_000_000)
    out, _ = run_command()
    assert "2017-07-03 succeeded loans_accrued=1 interest_fen=121" in out
    assert business_date_current() == START + datetime.timedelta(days=1)
    out, err = run_command("--until", "2017-07-10")
    assert out.count(" succeeded ") == 7 and "business date now: 2017-07-11" in out
    assert "100.0%" in err  # the progress bar reached the end
    assert list(EodRun.objects.order_by("business_date").values_list("status", flat=True)) == ["succeeded"] * 8


def test_until_a_past_date_does_nothing(world):
    drawn(world, 100)
    out, _ = run_command("--until", "2017-01-01")
    assert "nothing to close" in out and not EodRun.objects.exists()


def test_unknown_user_is_refused(world):
    with pytest.raises(CommandError, match="nobody"):
        run_command("--user", "nobody")
