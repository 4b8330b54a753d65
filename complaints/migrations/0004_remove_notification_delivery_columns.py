from django.db import migrations


class Migration(migrations.Migration):
    """The delivery's attempts and last error are the shared outbox message's now (0003 copied them there)."""

    dependencies = [
        ('complaints', '0003_notifications_on_shared_outbox'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='complaintnotification',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='complaintnotification',
            name='last_error',
        ),
    ]
