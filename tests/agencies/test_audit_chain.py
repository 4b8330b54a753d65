"""The audit trail is append-only and hash-chained: `verify_audit` names the first altered or removed row,
the database refuses UPDATE (and DELETE of young rows on PostgreSQL), and purging keeps the statutory 180 days."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from agencies import audit
from agencies.audit import GENESIS, audit_event, audit_record, purge_expired, verify_chain
from agencies.models import AuditChainHead, AuditEvent, Department

pytestmark = pytest.mark.django_db


def write_rows(actor, n=5):
    department = Department.objects.order_by("id").first()
    with transaction.atomic():
        return [audit_record(actor, "test.touch", department, before={"n": i}, after={"n": i + 1}, note=f"行 {i}")
                for i in range(n)]


def verify_output():
    try:
        call_command("verify_audit")
    except CommandError as error:
        return str(error)
    return "ok"


def raw_sql(sql, params=()):
    """Run SQL with the append-only trigger out of the way for this test's transaction only (the test's
    rollback restores it): this is what a database administrator with table rights could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE agencies_auditevent DISABLE TRIGGER agencies_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS agencies_auditevent_no_update")
        cursor.execute(sql, params)


def test_rows_chain_in_id_order(users):
    rows = write_rows(users["civil_heping"])
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == previous.row_hash
        assert row.row_hash == audit.row_hash(AuditEvent.objects.get(pk=row.pk))  # stable across the round trip
    assert rows[0].actor_name == "civil_heping" and rows[0].department is not None
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_id, head.last_hash) == (rows[-1].pk, rows[-1].row_hash)
    assert verify_output() == "ok"
    assert verify_chain()[1] is None


def test_verify_audit_names_an_altered_row(users):
    rows = write_rows(users["civil_heping"])
    victim = rows[2]
    raw_sql("UPDATE agencies_auditevent SET note = %s WHERE id = %s", ["改过", victim.pk])
    message = verify_output()
    assert f"row {victim.pk}: its content was altered" in message


def test_verify_audit_names_a_row_whose_json_was_altered(users):
    rows = write_rows(users["civil_heping"])
    victim = rows[1]
    value = '{"n": 99}'
    raw_sql("UPDATE agencies_auditevent SET after = %s WHERE id = %s", [value, victim.pk])
    assert f"row {victim.pk}: its content was altered" in verify_output()


def test_verify_audit_names_the_gap_of_a_removed_row(users):
    rows = write_rows(users["civil_heping"])
    raw_sql("DELETE FROM agencies_auditevent WHERE id = %s", [rows[2].pk])
    message = verify_output()
    assert f"row {rows[3].pk}: the row before it (after row {rows[1].pk}) was removed or altered" in message


def test_verify_audit_names_removed_newest_rows(users):
    rows = write_rows(users["civil_heping"])
    raw_sql("DELETE FROM agencies_auditevent WHERE id >= %s", [rows[3].pk])
    message = verify_output()
    assert f"row {rows[4].pk}: the newest row(s) were removed (the chain ends at row {rows[2].pk})" in message


def test_a_rehashed_row_still_breaks_the_next_link(users):
    # Someone who alters a row and recomputes its hash breaks the following row's prev_hash.
    rows = write_rows(users["civil_heping"])
    victim = AuditEvent.objects.get(pk=rows[1].pk)
    victim.note = "改过"
    raw_sql("UPDATE agencies_auditevent SET note = %s, row_hash = %s WHERE id = %s",
            [victim.note, audit.row_hash(victim), victim.pk])
    assert f"row {rows[2].pk}: the row before it" in verify_output()


def test_the_database_refuses_updates(users):
    row = write_rows(users["civil_heping"], 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE agencies_auditevent SET note = 'x' WHERE id = %s", [row.pk])


@pytest.mark.postgres
def test_postgres_refuses_deleting_a_young_row(users):
    if connection.vendor != "postgresql":
        pytest.skip("the DELETE trigger is PostgreSQL's")
    row = write_rows(users["civil_heping"], 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM agencies_auditevent WHERE id = %s", [row.pk])


def test_the_orm_has_no_update_or_delete_path(users):
    row = write_rows(users["civil_heping"], 1)[0]
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=row.pk).update(note="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=row.pk).delete()


def test_deleting_a_user_keeps_and_does_not_rewrite_their_rows(users):
    from django.contrib.auth import get_user_model

    someone = get_user_model().objects.create_user("leaving", password="x" * 14)
    with transaction.atomic():
        row = audit_event(someone, "test.touch", "auth.user", someone.pk)
    someone.delete()
    kept = AuditEvent.objects.get(pk=row.pk)
    assert kept.actor_id == row.actor_id and kept.actor_name == "leaving"
    assert verify_chain()[1] is None


def _write_at(moment, actor, n):
    with mock.patch.object(audit.timezone, "now", return_value=moment):
        return write_rows(actor, n)


@override_settings(AUDIT_RETENTION_DAYS=180)
def test_purge_removes_only_rows_past_retention_and_the_chain_still_verifies(users):
    if connection.vendor == "sqlite":
        # The demo city's rows were written "now"; start from an empty trail to control ages.
        raw_sql("DELETE FROM agencies_auditevent")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE agencies_auditevent DISABLE TRIGGER agencies_auditevent_append_only")
            cursor.execute("DELETE FROM agencies_auditevent")
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_id": None, "last_hash": GENESIS})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE agencies_auditevent ENABLE TRIGGER agencies_auditevent_append_only")
    now = timezone.now()
    old = _write_at(now - timedelta(days=200), users["civil_heping"], 3)
    young = _write_at(now - timedelta(days=179), users["civil_heping"], 2)
    assert purge_expired() == 3
    assert not AuditEvent.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert AuditEvent.objects.filter(pk__in=[r.pk for r in young]).count() == 2
    purge = AuditEvent.objects.get(verb=audit.PURGE_VERB)
    assert purge.after["through_id"] == old[-1].pk and purge.after["removed"] == 3
    assert verify_output() == "ok"
    assert purge_expired() == 0  # nothing younger than 180 days goes
    # Removing the oldest remaining row by hand is not a purge: it is named.
    raw_sql("DELETE FROM agencies_auditevent WHERE id = %s", [young[0].pk])
    assert f"row {young[1].pk}" in verify_output()


@override_settings(AUDIT_RETENTION_DAYS=30)
def test_purge_refuses_a_retention_below_six_months():
    with pytest.raises(ValueError):
        purge_expired()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(users, rebuild_demo_after):
    import threading

    from django.db import close_old_connections

    writers, per_writer = 6, 15
    barrier = threading.Barrier(writers)
    errors = []
    before = AuditEvent.objects.count()

    def write(n):
        try:
            barrier.wait()
            for i in range(per_writer):
                audit_event(users["civil_heping"], "test.concurrent", "test", f"{n}-{i}")
        except Exception as error:
            errors.append(repr(error))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == before + writers * per_writer
    checked, problem = verify_chain()
    assert problem is None and checked == before + writers * per_writer
