"""The HTML shell: public site, login, staff side. Each app adds its pages through its own urls.py."""

urlpatterns = []
