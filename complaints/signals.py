"""What the complaints app tells the apps above it (credit, the portal), sent from its services after commit."""

from django.dispatch import Signal

complaint_substantiated = Signal()  # kwargs: complaint_id, institution_id, domain_code, decided_on (date)
case_inspection_requested = Signal()  # kwargs: complaint_id
