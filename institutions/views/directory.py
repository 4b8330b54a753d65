"""Institution pages: directory — the public directory (no login), and the staff's Excel import and export.

The public pages read `selectors.public_institutions()`, a disclosure rule; the export reads
`Institution.objects.restrict(user, "view")`, the department's statutory scope.
"""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.audit import audit_event
from agencies.choices import Action
from agencies.jobs import job_create

from ..excel import COLUMNS, export_workbook
from ..forms.directory import DirectorySearchForm, ImportUploadForm
from ..models import Institution
from ..selectors import public_institution_detail
from ..services.directory import can_import, importer_region
from ..tasks.exports import EXPORT_JOB_KIND, export_institutions
from ..tasks.imports import JOB_KIND as IMPORT_JOB_KIND
from ..tasks.imports import import_institutions

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
        job = job_create(request.user, IMPORT_JOB_KIND, _("导入养老机构名录（%(name)s）") % {
            "name": form.cleaned_data["file"].name[:80]}, import_institutions, stored)
        return redirect("job-detail", pk=job.pk)
    return render(request, "institutions/directory/import.html",
                  {"form": form, "region": region, "columns": COLUMNS})


@login_required
@require_POST
def export_background(request):
    """The same sheet as export.xlsx, built by a worker: a city bureau's tens of thousands of rows take a while."""
    total = Institution.objects.restrict(request.user, Action.VIEW).count()
    job = job_create(request.user, EXPORT_JOB_KIND, _("导出养老机构名录（Excel）"), export_institutions, total=total)
    return redirect("job-detail", pk=job.pk)


urlpatterns = [
    path("public/institutions/", public_directory, name="public-institution-list"),
    path("public/institutions/<int:pk>/", public_institution, name="public-institution-detail"),
    path("institutions/export.xlsx", export_xlsx, name="institution-export"),
    path("institutions/import/", import_page, name="institution-import"),
    path("institutions/export/background/", export_background, name="institution-export-background"),
]
