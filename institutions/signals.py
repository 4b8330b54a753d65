"""What the institutions app tells the apps above it (the portal's notifications).

Sent from the services with `transaction.on_commit`, with ids only: receivers read committed rows.
"""

from django.dispatch import Signal

filing_submitted = Signal()  # kwargs: filing_id (waiting for the district civil-affairs bureau's review)
