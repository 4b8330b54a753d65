"""Institution pages: directory — the public directory (no login), and the staff's Excel import and export.

The public pages read `selectors.public_institutions()`, a disclosure rule; the export reads
`Institution.objects.restrict(user, "view")`, the department's statutory scope.
"""

import uuid

from celery.result import AsyncResult
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from agencies.audit import audit_event
from agencies.choices import Action

from ..excel import COLUMNS, export_workbook
from ..forms.directory import DirectorySearchForm, ImportUploadForm
from ..models import Institution
from ..selectors import public_institution_detail
from ..services.directory import can_import, importer_region
from ..tasks.imports import import_institutions, import_status, set_import_status

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def public_directory(request):
    form = DirectorySearchForm(request.GET or None)
    page = Paginator(form.results(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "institutions/directory/public_list.html",
                  {"form": form, "page": page, "query": query.urlencode()})


@require_GET
def public_institution(request, pk):
    try:
        institution = public_institution_detail(pk)
    except Institution.DoesNotExist:
        raise Http404 from None
    return render(request, "institutions/directory/public_detail.html", {"institution": institution})


@login_required
def export_xlsx(request):
    rows = Institution.objects.restrict(request.user, Action.VIEW).order_by("region_code", "name", "id")
    response = HttpResponse(export_workbook(rows), content_type=XLSX)
    audit_event(request.user, "institution.export", "institutions.institution", "",
                after={"format": "xlsx", "query": request.GET.urlencode()[:500]})
    name = f"institutions-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def import_page(request):
    if not can_import(request.user):
        raise PermissionDenied
    region = importer_region(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # A server-made name; the task deletes the file when it is done with it.
        stored = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", form.cleaned_data["file"])
        task_id = uuid.uuid4().hex
        set_import_status(task_id, request.user.pk, state="PENDING", done=0, total=0)
        import_institutions.apply_async(args=[stored, request.user.pk], task_id=task_id)
        return redirect("institution-import-progress", task_id=task_id)
    return render(request, "institutions/directory/import.html",
                  {"form": form, "region": region, "columns": COLUMNS})


def _status(request, task_id) -> dict:
    status = import_status(task_id)
    if status is None:
        # No cache entry (expired, or another cache): the result backend, when there is one.
        try:
            result = AsyncResult(task_id)
            info = result.info if isinstance(result.info, dict) else {}
            status = {"state": result.state, "actor_id": info.get("actor_id"), "done": info.get("done", 0),
                      "total": info.get("total", 0), "result": info if result.state == "SUCCESS" else None}
        except NotImplementedError:  # no result backend configured
            status = None
    if status is None or status.get("actor_id") != request.user.pk:
        raise Http404
    return {k: v for k, v in status.items() if k != "actor_id"}


@login_required
def import_progress(request, task_id):
    if not can_import(request.user):
        raise PermissionDenied
    status = _status(request, task_id)
    total = status.get("total") or 0
    percent = 100 if status["state"] == "SUCCESS" else int(100 * status.get("done", 0) / total) if total else 0
    return render(request, "institutions/directory/import_progress.html",
                  {"status": status, "percent": percent, "task_id": task_id,
                   "status_url": reverse("institution-import-status", args=[task_id])})


@login_required
def import_status_json(request, task_id):
    if not can_import(request.user):
        raise PermissionDenied
    return JsonResponse(_status(request, task_id))


urlpatterns = [
    path("public/institutions/", public_directory, name="public-institution-list"),
    path("public/institutions/<int:pk>/", public_institution, name="public-institution-detail"),
    path("institutions/export.xlsx", export_xlsx, name="institution-export"),
    path("institutions/import/", import_page, name="institution-import"),
    path("institutions/import/<str:task_id>/", import_progress, name="institution-import-progress"),
    path("institutions/import/<str:task_id>/status.json", import_status_json, name="institution-import-status"),
]
