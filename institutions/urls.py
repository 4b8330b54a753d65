from .views import directory, filings, records

urlpatterns = filings.urlpatterns + records.urlpatterns + directory.urlpatterns
