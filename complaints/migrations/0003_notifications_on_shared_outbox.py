"""Complaint notifications are delivered through the shared outbox (agencies.OutboxMessage): every existing row
gets its message (sent rows a sent one, unsent rows a pending one the sweep delivers), carrying the row's attempts
and last error. The row's own delivery columns go in 0004 (PostgreSQL alters no table with deferred foreign-key
checks pending in the same transaction)."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

TASK = "complaints.tasks.send_complaint_notification"
BATCH = 2000


def to_shared_outbox(apps, schema_editor):
    Notification = apps.get_model("complaints", "ComplaintNotification")
    Message = apps.get_model("agencies", "OutboxMessage")
    now = timezone.now()
    rows = Notification.objects.filter(outbox__isnull=True).order_by("pk")
    while batch := list(rows[:BATCH]):
        Message.objects.bulk_create([Message(
            task=TASK, args=[n.pk], key=f"complaints.notification:{n.pk}",
            state="sent" if n.sent_at else "pending", attempts=n.attempts, last_error=n.last_error[:500],
            created_at=n.created_at, next_attempt_at=now, sent_at=n.sent_at) for n in batch])
        ids = dict(Message.objects.filter(key__in=[f"complaints.notification:{n.pk}" for n in batch])
                   .values_list("key", "pk"))
        for n in batch:
            n.outbox_id = ids[f"complaints.notification:{n.pk}"]
        Notification.objects.bulk_update(batch, ["outbox"])


def from_shared_outbox(apps, schema_editor):
    Notification = apps.get_model("complaints", "ComplaintNotification")
    Message = apps.get_model("agencies", "OutboxMessage")
    for n in Notification.objects.filter(outbox__isnull=False).select_related("outbox").iterator():
        Notification.objects.filter(pk=n.pk).update(attempts=n.outbox.attempts, last_error=n.outbox.last_error[:255])
    Notification.objects.update(outbox=None)
    Message.objects.filter(task=TASK).delete()
    if schema_editor.connection.vendor == "postgresql":  # the column is dropped next, in this transaction
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0008_outbox'),
        ('complaints', '0002_complaint_case_inspection'),
    ]

    operations = [
        migrations.AddField(
            model_name='complaintnotification',
            name='outbox',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='complaint_notification', to='agencies.outboxmessage', verbose_name='待发消息'),
        ),
        migrations.RunPython(to_shared_outbox, from_shared_outbox),
    ]
