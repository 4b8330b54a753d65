from django.db import migrations


def load(apps, schema_editor):
    from inspections.reference import load_checklist

    load_checklist(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_load_reference"),
        ("inspections", "0003_checklist_inspectors_plans"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
