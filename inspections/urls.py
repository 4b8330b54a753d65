from django.urls import path

from .views import findings as views

urlpatterns = [
    path("findings/", views.finding_list, name="finding-list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
]

from .views import draws  # noqa: E402

urlpatterns += draws.urlpatterns
