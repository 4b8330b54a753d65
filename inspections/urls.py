from django.urls import path

from .views import findings as views
from .views import rectification, referrals, supervision

urlpatterns = [
    path("findings/", views.finding_list, name="finding-list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    *rectification.urlpatterns,
    *referrals.urlpatterns,
    *supervision.urlpatterns,
]
