"""Institution-side and staff-side pages, one module per capability; each module exports `urlpatterns`."""
