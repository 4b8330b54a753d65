"""What the inspections app tells higher apps (and its own later services) after a commit.

Sent from the services with `transaction.on_commit`, with ids only, so a receiver reads committed rows.
"""

from django.dispatch import Signal

# A draw has been executed and its seed revealed; its DrawAssignment rows exist. kwargs: draw_id.
draw_executed = Signal()
