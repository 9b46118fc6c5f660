"""The one-year rate table as published: the PBoC one-year benchmark lending rate from October 2015, then the
one-year LPR from its reform in August 2019. The bank maintains the table in the admin from here on."""

import datetime
from decimal import Decimal

from django.db import migrations

RATES = [
    ("2015-10-24", "4.35"),
    ("2019-08-20", "4.25"),
    ("2019-09-20", "4.20"),
    ("2019-11-20", "4.15"),
    ("2020-02-20", "4.05"),
    ("2020-04-20", "3.85"),
    ("2021-12-20", "3.80"),
    ("2022-01-20", "3.70"),
    ("2022-08-22", "3.65"),
    ("2023-06-20", "3.55"),
    ("2023-08-21", "3.45"),
    ("2024-07-22", "3.35"),
    ("2024-10-21", "3.10"),
    ("2025-05-20", "3.00"),
]


def load(apps, schema_editor):
    lpr = apps.get_model("deliberation", "LprRate")
    for day, rate in RATES:
        lpr.objects.get_or_create(effective_on=datetime.date.fromisoformat(day), defaults={"rate": Decimal(rate)})


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
