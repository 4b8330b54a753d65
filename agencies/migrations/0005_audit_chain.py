import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# The database refuses to rewrite the audit trail. PostgreSQL: UPDATE always, DELETE unless the row is past
# the statutory minimum of 180 days (`manage.py purge_audit`, the only delete path). TRUNCATE is a table
# owner's statement, not a row change; the test runner's flush uses it.
POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION agencies_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'agencies_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agencies_auditevent_append_only
    BEFORE UPDATE OR DELETE ON agencies_auditevent
    FOR EACH ROW EXECUTE FUNCTION agencies_auditevent_append_only();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS agencies_auditevent_append_only ON agencies_auditevent;
DROP FUNCTION IF EXISTS agencies_auditevent_append_only();
"""
# SQLite (the embedded default): UPDATE is refused. DELETE is not: Django's test flush on SQLite is a
# DELETE FROM, and the embedded default is not the deployment the trail is kept on.
SQLITE_TRIGGER = """
CREATE TRIGGER agencies_auditevent_no_update BEFORE UPDATE ON agencies_auditevent
BEGIN SELECT RAISE(ABORT, 'agencies_auditevent is append-only (UPDATE refused)'); END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS agencies_auditevent_no_update;"


def chain_existing_rows(apps, schema_editor):
    from agencies.audit import GENESIS, row_hash

    AuditEvent = apps.get_model("agencies", "AuditEvent")
    AuditChainHead = apps.get_model("agencies", "AuditChainHead")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    usernames = dict(User.objects.values_list("id", "username"))
    previous, last_id = GENESIS, None
    for event in AuditEvent.objects.order_by("id").iterator():
        event.actor_name = usernames.get(event.actor_id, "")
        event.prev_hash = previous
        event.row_hash = row_hash(event)
        event.save(update_fields=["actor_name", "prev_hash", "row_hash"])
        previous, last_id = event.row_hash, event.pk
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_id": last_id, "last_hash": previous})


def _run(schema_editor, sql):
    # A plain cursor: the trigger's RAISE format contains '%', which schema_editor.execute would interpolate.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_TRIGGER)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_TRIGGER)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    """The audit trail becomes append-only and hash-chained (agencies.audit)."""

    dependencies = [
        ("agencies", "0004_reload_duty_actions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("last_id", models.BigIntegerField(blank=True, null=True)),
                ("last_hash", models.CharField(max_length=64)),
            ],
            options={"verbose_name": "审计链头", "verbose_name_plural": "审计链头"},
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False,
                                       verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="操作人"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="department",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to="agencies.department", verbose_name="部门"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="操作人账号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条摘要"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条摘要"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name="本条摘要"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
