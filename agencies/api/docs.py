"""API documentation pages that load with no internet (DESIGN §5: government intranets are often offline).

Swagger UI needs nothing beyond settings (SWAGGER_UI_DIST="SIDECAR"). drf-spectacular's ReDoc page also
links Google Fonts in its <head>; this view renders the same page with that block replaced, so the browser
falls back to local fonts instead of waiting on a host it cannot reach.
"""

from django.template import engines
from drf_spectacular.views import SpectacularRedocView
from rest_framework.renderers import TemplateHTMLRenderer

OFFLINE_REDOC_TEMPLATE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}
"""


class OfflineRedocRenderer(TemplateHTMLRenderer):
    def resolve_template(self, template_names):
        return engines["django"].from_string(OFFLINE_REDOC_TEMPLATE)


class OfflineRedocView(SpectacularRedocView):
    renderer_classes = [OfflineRedocRenderer]
