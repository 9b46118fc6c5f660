"""core.bulk.instance_new: the instance Model(**values) would build, built positionally."""

import datetime
from decimal import Decimal

import pytest

from puhui.core.bulk import instance_new
from puhui.core.models import JobRun
from puhui.credit.models import Journal, Loan, RepaymentPart


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (
            Loan,
            {
                "id": 7,
                "line_id": 3,
                "principal_fen": 100,
                "outstanding_principal_fen": 100,
                "rate": Decimal("4.85"),
                "rate_scaled": 4_850_000,
                "penalty_rate_scaled": 7_275_000,
                "drawn_on": datetime.date(2026, 11, 27),
                "maturity": datetime.date(2027, 11, 27),
                "channel": "field",
                "created_by_id": 5,
            },
        ),
        (Journal, {"kind": "drawdown", "business_date": datetime.date(2026, 11, 27), "line_id": 3, "actor_id": None}),
        (RepaymentPart, {"loan_id": 1, "principal_fen": 50}),
    ],
)
def test_the_same_instance_as_the_keyword_constructor(model, values):
    made, expected = instance_new(model, **values), model(**values)
    assert field_values(made) == field_values(expected)
    assert made._state.adding and made._state.db is None  # new, as the constructor's


def test_a_callable_default_is_called_for_each_instance():
    first, second = instance_new(JobRun, kind="import"), instance_new(JobRun, kind="import")
    assert first.result == {} and first.result is not second.result


def test_an_unknown_field_is_refused():
    with pytest.raises(TypeError, match="no field"):
        instance_new(Journal, kind="drawdown", colour="red")
