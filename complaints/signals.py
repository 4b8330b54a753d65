"""What the complaints app tells higher layers (sent from its services, after commit)."""

from django.dispatch import Signal

complaint_substantiated = Signal()  # kwargs: complaint_id, institution_id, domain_code, decided_on (date)
# The handling department asked for a case inspection (个案检查, seed 000 task 31); the inspections service
# connects here to open it.
case_inspection_requested = Signal()  # kwargs: complaint_id
# New work for departments: a complaint arrived at its intake bureau, or was routed to handling departments.
complaint_received = Signal()  # kwargs: complaint_id
complaint_routed = Signal()  # kwargs: complaint_id
