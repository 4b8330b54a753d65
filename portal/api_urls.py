"""`/api/`: `v1/` mounts one router per app side by side (DESIGN §6), plus the schema and its docs.

Each app's `api/urls.py` has its own router (`router`, and `public_router` for what is published without
login under `v1/public/`); this module mounts them and builds the browsable roots from their registries,
since per-app roots mounted at the same prefix would hide one another.
"""

from importlib import import_module

from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView

from agencies.api.docs import OfflineRedocView
from agencies.api.views import TokenView

DOCS_CSP = csp_replace({"script-src": ["'self'", "'unsafe-inline'"], "style-src": ["'self'", "'unsafe-inline'"],
                        "worker-src": ["'self'", "blob:"]})

# Bottom-up, as the layers are (DESIGN §2); a new app adds its module here.
APP_API_MODULES = ["agencies.api.urls", "institutions.api.urls", "inspections.api.urls", "complaints.api.urls",
                   "credit.api.urls"]
apps = [import_module(name) for name in APP_API_MODULES]


class RootView(APIRootView):
    """The map of the API: links only, so it needs no login (the endpoints it lists check their own)."""

    permission_classes = [AllowAny]


def _root_dict(routers) -> dict:
    merged = {}
    for router in routers:
        for prefix, name in router.api_root_dict().items():
            if prefix in merged:
                raise ValueError(f"API prefix {prefix!r} is registered by two app routers")
            merged[prefix] = name
    return merged


public_routers = [m.public_router for m in apps if hasattr(m, "public_router")]
staff_routers = [m.router for m in apps]

v1 = [
    path("", RootView.as_view(api_root_dict={"public": "api-public-root", **_root_dict(staff_routers)}),
         name="api-root"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("public/", RootView.as_view(api_root_dict=_root_dict(public_routers)), name="api-public-root"),
    *[path("public/", include(router.urls)) for router in public_routers],
    *[path("", include(router.urls)) for router in staff_routers],
]

urlpatterns = [
    # Namespaced: the web shell has its own `finding-list` and so on; API names are `api-v1:finding-list`.
    path("v1/", include((v1, "api-v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI and ReDoc load their scripts from drf-spectacular-sidecar's static files (no CDN).
    # The two documentation pages render inline script and style (drf-spectacular's templates); they hold no
    # personal data, and the site-wide Content-Security-Policy is relaxed for them alone.
    path("docs/", DOCS_CSP(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", DOCS_CSP(OfflineRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]
