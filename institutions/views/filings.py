"""Institution pages: filings. Every read of a regulated record goes through `restrict(user, action)`."""

urlpatterns = []
