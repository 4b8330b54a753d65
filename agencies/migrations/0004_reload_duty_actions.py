from django.db import migrations


def reload(apps, schema_editor):
    from agencies.reference import load_reference

    load_reference(apps)


class Migration(migrations.Migration):
    """The catalog's actions changed (filing review stays with civil affairs): reload it."""

    dependencies = [("agencies", "0003_duty_action_limits")]

    operations = [migrations.RunPython(reload, migrations.RunPython.noop)]
