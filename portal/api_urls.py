"""`/api/`: `v1/` mounts one router per app side by side (DESIGN §6)."""

from django.urls import include, path

v1 = [
    path("", include("inspections.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
]
