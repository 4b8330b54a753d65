"""Inspection forms, one module per capability. They only validate input; the services write."""
