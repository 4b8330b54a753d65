"""What the inspections app tells the apps above it (credit, the portal) and its own later services.

Sent from the services with `transaction.on_commit`, with ids only: receivers read committed rows, and may run
in a worker.
"""

from django.dispatch import Signal

finding_recorded = Signal()  # kwargs: finding_id
finding_closed = Signal()  # kwargs: finding_id
rectification_overdue = Signal()  # kwargs: finding_id (past its deadline; escalation started)
inspection_completed = Signal()  # kwargs: inspection_id
inspection_refused = Signal()  # kwargs: inspection_id (the institution refused or obstructed the inspection)
# A draw has been executed and its seed revealed; its DrawAssignment rows exist. kwargs: draw_id.
draw_executed = Signal()
# The institution submitted a rectification report; the verifying department has work (谁检查谁验收).
rectification_submitted = Signal()  # kwargs: finding_id
referral_sent = Signal()  # kwargs: referral_id (the receiving department has a referral to accept)
