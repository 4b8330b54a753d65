from django.urls import path

from . import audit_views, views

urlpatterns = [
    path("audit/", audit_views.audit_search, name="audit-search"),
    path("catalog/", views.duty_catalog, name="duty-catalog"),
    path("catalog/<int:pk>/", views.duty_detail, name="duty-detail"),
    path("public/catalog/", views.public_duty_catalog, name="public-duty-catalog"),
    path("public/catalog/<int:pk>/", views.public_duty_detail, name="public-duty-detail"),
]
