"""Error pages: the API answers its clients in JSON, the rest of the site with the HTML shell's pages."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def page_not_found(request, exception):
    # A URL under /api/ that matches no route (an id that is not a number, a typo) is still an API call:
    # its client reads `detail`, as from every other 404 of the API, not an HTML page.
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("服务器出错，请稍后再试。")}, status=500)
    return defaults.server_error(request)
