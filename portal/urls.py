from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("portal.api_urls")),  # /api/v1/…, /api/schema/, /api/docs/
    path("", include("portal.web_urls")),  # the HTML shell: public site, staff side, login
]

handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.views.errors.server_error"
