"""`/api/v1/`: one router per app, mounted side by side (DESIGN §6)."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("inspections.api.urls")),
]
