"""Institution pages: directory. Every read of a regulated record goes through `restrict(user, action)`."""

urlpatterns = []
