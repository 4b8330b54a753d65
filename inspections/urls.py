from django.urls import path

from .views import draws, inspections, rectification, referrals, supervision
from .views import findings as views

urlpatterns = [
    path("findings/", views.finding_list, name="finding-list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    *inspections.urlpatterns,
    *draws.urlpatterns,

    *rectification.urlpatterns,
    *referrals.urlpatterns,
    *supervision.urlpatterns,
]
