"""Reference data of the credit app (credit/reference.py): pledge clauses ↔ checklist items, the first scoring
model (published), the joint punishment / incentive catalog."""

from django.db import migrations


def load(apps, schema_editor):
    from credit.reference import load_credit_reference

    load_credit_reference(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0001_credit_records"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
