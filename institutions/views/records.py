"""Institution pages: records. Every read of a regulated record goes through `restrict(user, action)`.

Leads on unfiled/unregistered operators (staff, and the public list of seed 003 二(一)), disclosure
("十一个上墙"), star ratings, incident reports and emergency drills. Out-of-scope and missing records answer
the same 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.access import can, explain
from agencies.choices import Action

from ..choices import DisclosureKind, LeadState
from ..forms.records import (
    DisclosureForm,
    DrillForm,
    IncidentForm,
    LeadCheckForm,
    LeadCloseForm,
    LeadForm,
    RatingForm,
)
from ..models import DisclosureItem, EmergencyDrill, IncidentReport, Institution, Lead, StarRating
from ..services.records import (
    disclosure_stale,
    disclosure_update,
    drill_record,
    drills_overdue,
    incident_report,
    lead_close,
    lead_create,
    lead_record_check,
    leads_public,
    own_institutions,
    rating_record,
)

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _own_institution(user, pk=None) -> Institution:
    """The institution an institution account acts for (404 for anyone else's)."""
    mine = own_institutions(user).select_related("region")
    institution = mine.filter(pk=pk).first() if pk is not None else mine.order_by("id").first()
    if institution is None:
        raise Http404
    return institution


# ------------------------------------------------------------------------------------------------- leads


def visible_leads(user):
    return Lead.objects.restrict(user, Action.VIEW).select_related("region", "department", "referred_to")


@login_required
def lead_list(request):
    return render(request, "institutions/records/lead_list.html", {
        "page": _page(request, visible_leads(request.user).order_by("due_date", "id")),
        "today": timezone.localdate(), "closed": LeadState.CLOSED})


@login_required
def lead_create_view(request):
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("线索已登记，现场检查期限为%(due)s。") % {"due": lead.due_date})
            return redirect("records-lead-detail", lead.pk)
    return render(request, "institutions/records/form.html", {
        "form": form, "title": _("登记未备案/无证经营线索"),
        "help": _("现场检查期限自发现之日起按20个工作日计算（节假日顺延）。")})


@login_required
def lead_detail(request, pk):
    lead = get_object_or_404(visible_leads(request.user).select_related("institution"), pk=pk)
    may_act = lead.state != LeadState.CLOSED and can(request.user, Action.INSPECT, lead)
    return render(request, "institutions/records/lead_detail.html", {
        "lead": lead, "reasons": explain(request.user, lead, Action.VIEW), "may_act": may_act,
        "overdue": lead.state != LeadState.CLOSED and lead.due_date < timezone.localdate(),
        "check_form": LeadCheckForm() if lead.state == LeadState.OPEN else None,
        "close_form": LeadCloseForm()})


def _lead_action(request, pk, form_class, service):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(request.user, lead, *form.cleaned_data.values())
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("已保存。"))
    else:
        messages.error(request, _("请完整填写表单。"))
    return redirect("records-lead-detail", lead.pk)


@login_required
@require_POST
def lead_check_view(request, pk):
    return _lead_action(request, pk, LeadCheckForm, lead_record_check)


@login_required
@require_POST
def lead_close_view(request, pk):
    return _lead_action(request, pk, LeadCloseForm, lead_close)


def public_unfiled(request):
    """Seed 003 二(一): operators known to be running without filing. Name, district, address, status only."""
    return render(request, "institutions/records/public_unfiled.html", {"page": _page(request, leads_public())})


# ------------------------------------------------------------------------------------------------- disclosure


@login_required
def disclosure_mine(request):
    return redirect("records-disclosure-edit", _own_institution(request.user).pk)


@login_required
def disclosure_edit(request, pk):
    institution = _own_institution(request.user, pk)
    form = DisclosureForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            disclosure_update(request.user, institution, form.cleaned_data["kind"], form.cleaned_data["content"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("公开事项已更新。"))
            return redirect("records-disclosure-edit", institution.pk)
    return render(request, "institutions/records/disclosure.html", {
        "institution": institution, "rows": _disclosure_rows(request.user, institution), "form": form,
        "editable": True})


@login_required
def disclosure_view(request, pk):
    institution = get_object_or_404(Institution.objects.restrict(request.user, Action.VIEW)
                                    .select_related("region"), pk=pk)
    return render(request, "institutions/records/disclosure.html", {
        "institution": institution, "rows": _disclosure_rows(request.user, institution), "editable": False})


def _disclosure_rows(user, institution):
    items = {i.kind: i for i in DisclosureItem.objects.restrict(user, Action.VIEW).filter(institution=institution)}
    return [(kind, items.get(kind.value)) for kind in DisclosureKind]


@login_required
def disclosure_stale_list(request):
    return render(request, "institutions/records/disclosure_stale.html", {
        "page": _page(request, disclosure_stale(request.user)), "total": len(DisclosureKind.values)})


# ------------------------------------------------------------------------------------------------- ratings


@login_required
def rating_list(request):
    ratings = StarRating.objects.restrict(request.user, Action.VIEW).select_related("institution__region")
    return render(request, "institutions/records/rating_list.html", {
        "page": _page(request, ratings), "today": timezone.localdate()})


@login_required
def rating_create(request):
    form = RatingForm(request.POST or None,
                      institutions=Institution.objects.restrict(request.user, Action.VIEW).order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            rating_record(request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("等级评定结果已登记。"))
            return redirect("records-rating-list")
    return render(request, "institutions/records/form.html", {"form": form, "title": _("登记等级评定结果")})


# ------------------------------------------------------------------------------------------------- incidents, drills


@login_required
def incident_list(request):
    reports = IncidentReport.objects.restrict(request.user, Action.VIEW).select_related("institution", "domain")
    return render(request, "institutions/records/incident_list.html", {"page": _page(request, reports)})


def _institution_form(request, form_class, service, *, title, help_text, done_message, done_url):
    """The institution side's report forms: the account's own institution, the form, the service, a redirect."""
    institution = _own_institution(request.user, request.GET.get("institution"))
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(request.user, institution, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, done_message)
            return redirect(done_url)
    return render(request, "institutions/records/form.html", {
        "form": form, "title": title, "institution": institution, "help": help_text})


@login_required
def incident_report_view(request):
    return _institution_form(
        request, IncidentForm, incident_report, title=_("报告突发事件"),
        help_text=_("发生生产安全事故和突发事件的，应立即处置，并及时向区应急管理部门和民政部门报告。"),
        done_message=_("突发事件已报告，负责的部门将收到通知。"), done_url="records-incident-list")


@login_required
def drill_list(request):
    drills = EmergencyDrill.objects.restrict(request.user, Action.VIEW).select_related("institution")
    return render(request, "institutions/records/drill_list.html", {"page": _page(request, drills)})


@login_required
def drill_create(request):
    return _institution_form(
        request, DrillForm, drill_record, title=_("记录应急演练"),
        help_text=_("养老服务机构每半年至少开展1次应急演练。"),
        done_message=_("应急演练已记录。"), done_url="records-drill-list")


@login_required
def drill_overdue_list(request):
    return render(request, "institutions/records/drill_overdue.html", {
        "page": _page(request, drills_overdue(request.user))})


urlpatterns = [
    path("records/leads/", lead_list, name="records-lead-list"),
    path("records/leads/new/", lead_create_view, name="records-lead-create"),
    path("records/leads/<int:pk>/", lead_detail, name="records-lead-detail"),
    path("records/leads/<int:pk>/check/", lead_check_view, name="records-lead-check"),
    path("records/leads/<int:pk>/close/", lead_close_view, name="records-lead-close"),
    path("public/unfiled/", public_unfiled, name="public-unfiled"),
    path("records/disclosure/", disclosure_mine, name="records-disclosure-mine"),
    path("records/disclosure/stale/", disclosure_stale_list, name="records-disclosure-stale"),
    path("records/disclosure/<int:pk>/", disclosure_view, name="records-disclosure-view"),
    path("records/disclosure/<int:pk>/edit/", disclosure_edit, name="records-disclosure-edit"),
    path("records/ratings/", rating_list, name="records-rating-list"),
    path("records/ratings/new/", rating_create, name="records-rating-create"),
    path("records/incidents/", incident_list, name="records-incident-list"),
    path("records/incidents/report/", incident_report_view, name="records-incident-report"),
    path("records/drills/", drill_list, name="records-drill-list"),
    path("records/drills/new/", drill_create, name="records-drill-create"),
    path("records/drills/overdue/", drill_overdue_list, name="records-drill-overdue"),
]
