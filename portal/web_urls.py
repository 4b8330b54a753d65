"""The HTML shell: public site, login, staff side. Each app adds its pages through its own urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .views import jobs, open_data, search

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/dashboard/", views.dashboard, name="dashboard"),
    path("staff/dashboard/evaluation.xlsx", views.evaluation_export, name="dashboard-evaluation-export"),
    path("work/", views.work_queue, name="work-queue"),
    path("work/badge/", views.work_badge, name="work-badge"),
    path("notifications/", views.inbox, name="notification-inbox"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("notifications/preference/", views.notification_preference, name="notification-preference"),
    path("public/search/", search.public_search, name="public-search"),
    path("public/open-data/", open_data.open_data_index, name="public-open-data"),
    path("public/open-data/<slug:dataset>.<str:fmt>", open_data.open_data_download, name="public-open-data-file"),
    path("jobs/", jobs.my_jobs, name="my-jobs"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", jobs.job_download, name="job-download"),
    # Django's auth views with the portal's templates; logout is a POST form in the header.
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("portal.accounts")),  # second factor, password change
    path("i18n/", include("django.conf.urls.i18n")),  # set_language
    # The public complaint form is the busiest page: its app is tried first. A path is matched against every
    # pattern of each app tried before it, and each app that fails lists all its patterns for the 404 page.
    path("", include("complaints.urls")),
    path("", include("agencies.urls")),
    path("", include("institutions.urls")),
    path("", include("inspections.urls")),
    path("", include("credit.urls")),
]
