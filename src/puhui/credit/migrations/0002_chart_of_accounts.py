from django.db import migrations

CHART = ("1301", "1321", "2241", "6011", "6012")


def create_chart(apps, schema_editor):
    Account = apps.get_model("credit", "Account")
    Account.objects.bulk_create([Account(code=code) for code in CHART], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]
    operations = [migrations.RunPython(create_chart, migrations.RunPython.noop)]
