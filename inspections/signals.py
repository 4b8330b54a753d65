"""What the inspections app tells the apps above it (credit, the portal), sent from its services after commit.

Receivers get ids, never model instances: they run after the sender's transaction, and may run in a worker.
"""

from django.dispatch import Signal

finding_recorded = Signal()  # kwargs: finding_id
finding_closed = Signal()  # kwargs: finding_id
rectification_overdue = Signal()  # kwargs: finding_id (past its deadline; escalation started)
inspection_completed = Signal()  # kwargs: inspection_id
inspection_refused = Signal()  # kwargs: inspection_id (the institution refused or obstructed the inspection)
