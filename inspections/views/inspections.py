"""Inspections: the staff list and detail, the on-site execution page (phone first, no JavaScript needed), the
inspection record PDF, photos behind a permission check, the institution's own notices, the public results and
the coverage page. Every staff read goes through `Inspection.objects.restrict()` / `Finding.objects.restrict()`;
every write through a service.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import can, get_access_context
from agencies.calendar import working_days_between
from agencies.choices import Action
from agencies.models import Department

from ..choices import ANNOUNCED_KINDS, InspectionState, ItemResultValue
from ..forms.inspections import CancelForm, FindingForm
from ..models import Finding, FindingPhoto, Inspection, InspectionTeamMember, ItemResult
from ..records import inspection_record_pdf
from ..selectors import coverage, not_inspected_institutions, public_result_detail, public_results
from ..services import inspections as services
from .findings import CappedPaginator

PAGE_SIZE = 50
PUBLIC_PAGE_SIZE = 20
# Before the notice the institution must not learn of an inspection (a case inspection is never announced).
INSTITUTION_VISIBLE_STATES = (InspectionState.NOTIFIED, InspectionState.IN_PROGRESS, InspectionState.COMPLETED,
                              InspectionState.PUBLISHED)


def visible_inspections(user, action=Action.VIEW):
    return (Inspection.objects.restrict(user, action)
            .select_related("institution__region", "lead_department"))


def is_staff_side(user) -> bool:
    return user.is_superuser or get_access_context(user).is_staff_member


def institution_inspections(user):
    """What an institution account sees of its own inspections: from the notice on, never the team's names."""
    return visible_inspections(user).filter(state__in=INSTITUTION_VISIBLE_STATES)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _error_text(error: ValidationError) -> str:
    return "；".join(error.messages)


def _team(inspection):
    return (InspectionTeamMember.objects.filter(inspection=inspection)
            .select_related("inspector__staff__user", "inspector__department").order_by("id"))


def _item_rows(inspection):
    results = {r.item_id: r for r in ItemResult.objects.filter(inspection=inspection)}
    return [(item, results.get(item.pk)) for item in
            inspection.items.select_related("domain").order_by("position", "id")]


# ----------------------------------------------------------------------------------------------- staff


@login_required
def inspection_list(request):
    if not is_staff_side(request.user):
        return redirect("institution-inspections")
    queryset = visible_inspections(request.user).order_by("-scheduled_for", "-id")
    state = request.GET.get("state", "")
    if state in InspectionState.values:
        queryset = queryset.filter(state=state)
    if request.GET.get("mine"):
        queryset = queryset.filter(team__inspector__staff__user=request.user)
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inspections/inspection_list.html", {
        "page": page, "query": query.urlencode(), "states": InspectionState.choices, "state": state,
        "mine": bool(request.GET.get("mine"))})


@login_required
def inspection_detail(request, pk):
    if not is_staff_side(request.user):
        raise Http404
    inspection = get_object_or_404(visible_inspections(request.user), pk=pk)
    findings = (Finding.objects.restrict(request.user, Action.VIEW).filter(inspection=inspection)
                .select_related("domain", "checklist_item", "verifying_department")
                .prefetch_related("photos"))
    may_inspect = can(request.user, Action.INSPECT, inspection) and services.on_team(request.user, inspection)
    own = getattr(getattr(request.user, "staff_profile", None), "department", None)
    return render(request, "inspections/inspection_detail.html", {
        "inspection": inspection, "team": _team(inspection), "rows": _item_rows(inspection),
        "findings": findings, "departments": inspection.departments.order_by("id"),
        "may_inspect": may_inspect, "announced": inspection.kind in ANNOUNCED_KINDS,
        "may_publish": (inspection.state == InspectionState.COMPLETED and can(request.user, Action.INSPECT, inspection)
                        and (request.user.is_superuser
                             or (own is not None and own.kind.code == services.CIVIL_AFFAIRS))),
        "cancel_form": CancelForm(),
    })


def _action(request, pk, service, done, **kwargs):
    inspection = get_object_or_404(visible_inspections(request.user), pk=pk)
    try:
        service(request.user, inspection, **kwargs)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您无权进行此操作。"))
    else:
        messages.success(request, done)
    return inspection


@login_required
@require_POST
def inspection_notify_view(request, pk):
    _action(request, pk, services.inspection_notify, _("已通知被检查机构。"))
    return redirect("inspection-detail", pk=pk)


@login_required
@require_POST
def inspection_start_view(request, pk):
    _action(request, pk, services.inspection_start, _("检查已开始。"))
    return redirect("inspection-execute", pk=pk)


@login_required
@require_POST
def inspection_cancel_view(request, pk):
    form = CancelForm(request.POST)
    reason = form.data.get("reason", "")
    _action(request, pk, services.inspection_cancel, _("检查已取消。"), reason=reason)
    return redirect("inspection-detail", pk=pk)


@login_required
@require_POST
def inspection_publish_view(request, pk):
    _action(request, pk, services.inspection_publish, _("检查结果已向社会公开。"))
    return redirect("inspection-detail", pk=pk)


# ----------------------------------------------------------------------------------------------- on site


@login_required
def inspection_execute(request, pk):
    """Item by item (合格 / 不合格 / 不适用), a finding form, sign-off: one page, one column on a phone."""
    inspection = get_object_or_404(visible_inspections(request.user, Action.INSPECT), pk=pk)
    if not services.on_team(request.user, inspection):
        raise Http404
    finding_form = FindingForm(inspection=inspection)
    item_errors = {}
    if request.method == "POST":
        results = {}
        for item in inspection.items.all():
            value = request.POST.get(f"item-{item.pk}")
            if value:
                results[item.pk] = (value, request.POST.get(f"note-{item.pk}", ""))
        try:
            services.item_results_record(request.user, inspection, results)
        except ValidationError as exc:
            item_errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            messages.error(request, _error_text(exc))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("已保存 %(n)d 项检查结果。") % {"n": len(results)})
            return redirect(reverse("inspection-execute", args=[pk]) + "#items")
    return _render_execute(request, inspection, finding_form, item_errors)


def _render_execute(request, inspection, finding_form, item_errors=None, status=200):
    inspector = services.inspector_of(request.user)
    team = list(_team(inspection))
    me = next((m for m in team if inspector is not None and m.inspector_id == inspector.pk), None)
    findings = (Finding.objects.restrict(request.user, Action.VIEW).filter(inspection=inspection)
                .select_related("domain", "checklist_item").prefetch_related("photos"))
    # What was chosen stays chosen when the page comes back with an error.
    posted = {k[5:]: v for k, v in request.POST.items() if k.startswith("item-")}
    rows = [(item, result, posted.get(str(item.pk), result.result if result else ""))
            for item, result in _item_rows(inspection)]
    return render(request, "inspections/inspection_execute.html", {
        "inspection": inspection, "rows": rows, "form": finding_form, "team": team, "me": me,
        "findings": findings, "choices": ItemResultValue.choices, "item_errors": item_errors or {},
        "missing": services.missing_items(inspection),
        "editable": inspection.state == InspectionState.IN_PROGRESS and not any(m.signed_at for m in team),
    }, status=status)


@login_required
@require_POST
def finding_create_view(request, pk):
    inspection = get_object_or_404(visible_inspections(request.user, Action.RECORD_FINDING), pk=pk)
    if not services.on_team(request.user, inspection):
        raise Http404
    form = FindingForm(request.POST, request.FILES, inspection=inspection)
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.finding_record(
                request.user, inspection, domain=data["domain"], checklist_item=data["checklist_item"],
                severity=data["severity"], text=data["text"], basis=data["basis"],
                rectification_working_days=data["rectification_working_days"], photos=data["photos"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已记录问题：%(domain)s，整改期限至 %(due)s。") % {
                "domain": finding.domain.name, "due": finding.rectification_due.strftime("%Y-%m-%d")})
            return redirect(reverse("inspection-execute", args=[pk]) + "#findings")
    # The form comes back with what was typed and the errors by their fields (photos must be chosen again).
    return _render_execute(request, inspection, form, status=400)


@login_required
@require_POST
def inspection_sign_view(request, pk):
    inspection = _action(request, pk, services.inspection_sign, _("已签字。"))
    inspection.refresh_from_db()
    if inspection.state == InspectionState.COMPLETED:
        return redirect("inspection-detail", pk=pk)
    return redirect(reverse("inspection-execute", args=[pk]) + "#sign")


@login_required
@require_GET
def finding_photo(request, pk):
    """A finding's photo, only for whoever may see the finding (404 otherwise, as for a missing one)."""
    photo = get_object_or_404(FindingPhoto.objects.select_related("finding"), pk=pk)
    if not Finding.objects.restrict(request.user, Action.VIEW).filter(pk=photo.finding_id).exists():
        raise Http404
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_GET
def inspection_pdf(request, pk):
    """检查记录表: the record as the user may see it (only the findings their duty or a hand-off covers)."""
    if not is_staff_side(request.user):
        raise Http404
    inspection = get_object_or_404(visible_inspections(request.user), pk=pk)
    findings = (Finding.objects.restrict(request.user, Action.VIEW).filter(inspection=inspection)
                .select_related("domain", "checklist_item", "verifying_department"))
    pdf = inspection_record_pdf(inspection, team=_team(inspection), rows=_item_rows(inspection),
                                findings=findings, departments=inspection.departments.order_by("id"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="inspection-{inspection.pk}.pdf"'
    return response


# ----------------------------------------------------------------------------------------------- institution side


@login_required
def institution_inspection_list(request):
    inspections = (institution_inspections(request.user)
                   .prefetch_related(Prefetch("departments", queryset=Department.objects.only("id", "name")))
                   .order_by("-scheduled_for", "-id"))
    return render(request, "inspections/institution_inspections.html", {"inspections": inspections})


# ----------------------------------------------------------------------------------------------- public


@require_GET
def public_result_list(request):
    page = Paginator(public_results(), PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/public_result_list.html", {"page": page})


@require_GET
def public_result(request, pk):
    try:
        result = public_result_detail(pk)
    except Inspection.DoesNotExist:
        raise Http404 from None
    return render(request, "inspections/public_result_detail.html", {"result": result,
                                                                      "inspection": result.inspection})


# ----------------------------------------------------------------------------------------------- coverage


@login_required
def coverage_page(request):
    if not is_staff_side(request.user):
        raise Http404
    today = timezone.localdate()
    year = today.year
    districts = coverage(request.user, year)
    district = request.GET.get("district", "")
    pending = not_inspected_institutions(request.user, year, district or None)[:200] if district else None
    return render(request, "inspections/coverage.html", {
        "year": year, "districts": districts, "district": district, "pending": pending,
        "working_days_left": working_days_between(today, dt.date(year, 12, 31)),
        "total": sum(d.total for d in districts), "inspected": sum(d.inspected for d in districts)})


urlpatterns = [
    path("inspections/", inspection_list, name="inspection-list"),
    path("inspections/coverage/", coverage_page, name="inspection-coverage"),
    path("inspections/<int:pk>/", inspection_detail, name="inspection-detail"),
    path("inspections/<int:pk>/record.pdf", inspection_pdf, name="inspection-pdf"),
    path("inspections/<int:pk>/notify/", inspection_notify_view, name="inspection-notify"),
    path("inspections/<int:pk>/start/", inspection_start_view, name="inspection-start"),
    path("inspections/<int:pk>/cancel/", inspection_cancel_view, name="inspection-cancel"),
    path("inspections/<int:pk>/publish/", inspection_publish_view, name="inspection-publish"),
    path("inspections/<int:pk>/execute/", inspection_execute, name="inspection-execute"),
    path("inspections/<int:pk>/findings/", finding_create_view, name="inspection-finding-create"),
    path("inspections/<int:pk>/sign/", inspection_sign_view, name="inspection-sign"),
    path("findings/photos/<int:pk>/", finding_photo, name="finding-photo"),
    path("institution/inspections/", institution_inspection_list, name="institution-inspections"),
    path("public/inspection-results/", public_result_list, name="public-inspection-results"),
    path("public/inspection-results/<int:pk>/", public_result, name="public-inspection-result"),
]
