"""Complaint pages: the public form and tracking, and the staff side (queues, detail, handling, statistics).

Staff reads go through `restrict()` (out of scope answers 404 like missing); the complainant's name, phone and
attachments are shown only to the intake bureau and the handling departments, and each read is audited.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.access import explain
from agencies.audit import audit_record
from agencies.choices import Action
from agencies.models import Department
from agencies.pagination import CappedPaginator
from institutions.selectors import public_institutions, search_public_institutions

from . import antiabuse, services
from .choices import OPEN_STATES, Category, ComplaintState, Outcome
from .filtersets import ComplaintFilterSet
from .forms import AddInfoForm, AnswerForm, ComplaintForm, MergeForm, RateForm, ReasonForm, RouteForm, TrackForm
from .models import Complaint
from .selectors import (
    intake_queue,
    my_department_complaints,
    overdue,
    public_view_of,
    statistics,
    visible_complaints,
    with_lead_department,
)

PAGE_SIZE = 50
CANDIDATES = 20


def apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# ------------------------------------------------------------------------------------------------- public


def _candidates(q: str, chosen_id):
    """The directory search shown in the form (server-side, so it works without script)."""
    found = list(search_public_institutions(q=q)[:CANDIDATES]) if q else []
    if chosen_id and all(i.pk != chosen_id for i in found):
        chosen = public_institutions().filter(pk=chosen_id).first()
        if chosen is not None:
            found.insert(0, chosen)
    return found


# A visitor's page that is the same for everyone but for a few values (the empty form but for its CSRF token and
# CAPTCHA; the answer to a submission but for its code, secret, deadline and bureau): the two requests of every
# complaint. Rendered once per language per process with a marker in place of each value, kept as long as the
# form's fields' fragment (a change of districts shows within minutes), and filled in per request.
KEPT_PAGE_SECONDS = 300


def _marker(name: str) -> str:
    return f"{name}0kept0page0marker"


def _kept_page(request, template_name: str, context, values: dict) -> HttpResponse:
    """`context(markers)` is the template's context with the marker of each of `values` in its place."""
    fragments = caches["fragments"]
    key = f"complaints:kept-page:{template_name}:{get_language()}"
    page = fragments.get(key)
    if page is None:
        page = render_to_string(template_name, context({name: _marker(name) for name in values}), request)
        fragments.set(key, page, KEPT_PAGE_SECONDS)
    for name, value in values.items():
        page = page.replace(_marker(name), escape(value))  # as the template escapes it
    return HttpResponse(page)


def _is_plain_visit(request) -> bool:
    """Nothing in the address (the page carries its path), not signed in (the header names who is) and no
    message waiting to be shown: the page is the same for every such visitor."""
    return not request.GET and not request.user.is_authenticated and not len(messages.get_messages(request))


def _empty_form_context(markers: dict) -> dict:
    form = ComplaintForm()
    form.initial["captcha_token"] = markers["captcha_token"]
    # The view's context wins over the context processors': the CSRF token's marker too.
    return {"form": form, "q": "", "candidates": [], "chosen_id": None,
            "captcha_question": markers["captcha_question"], "csrf_token": markers["csrf_token"]}


def _submitted(request, complaint, secret: str, created: bool) -> HttpResponse:
    context = {"complaint": complaint, "created": created}
    if not created:  # the same complaint again (rare): its own page
        return render(request, "complaints/public_submitted.html", context)
    values = {"code": complaint.code, "secret": secret, "intake": complaint.intake_department.name,
              "answer_due": date_format(complaint.answer_due, "Y-m-d"), "csrf_token": get_token(request)}
    if not _is_plain_visit(request):
        return render(request, "complaints/public_submitted.html", {**context, **values})
    # Kept without the complaint itself: nothing of the first submitter's complaint can be kept for the next.
    return _kept_page(request, "complaints/public_submitted.html", lambda markers: {"created": True, **markers},
                      values)


def complaint_form(request):
    """GET shows the form (with `?q=` the directory search); POST submits. The secret is shown once, on the
    answer to this POST — it is never stored readable, so a reload cannot show it again."""
    if request.method == "GET" and _is_plain_visit(request):
        question, token = antiabuse.new_captcha()
        return _kept_page(request, "complaints/public_form.html", _empty_form_context, {
            "csrf_token": get_token(request), "captcha_question": question, "captcha_token": token})
    # A search term, not stored: a NUL byte (which PostgreSQL refuses in text) is dropped, not an error.
    q = (request.GET.get("q") or request.POST.get("q") or "").replace("\x00", "").strip()
    searching = request.method == "POST" and request.POST.get("step") == "search"
    if searching:  # the directory search inside the form: keep what was typed, judge nothing yet
        form = ComplaintForm(initial=request.POST.dict())
    else:
        form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not searching:
        if antiabuse.rate_limited("submit", antiabuse.client_key(request)):
            form.add_error(None, _("提交过于频繁，请稍后再试。如情况紧急请拨打 12345 或 110。"))
        elif form.is_valid():
            data = form.cleaned_data
            if not antiabuse.check_captcha(data["captcha_token"], data["captcha_answer"]):
                form.add_error("captcha_answer", _("验证答案不正确，请重新计算。"))
            else:
                try:
                    complaint, secret, created = services.complaint_submit(
                        category=data["category"], description=data["description"], region=data["region"],
                        institution=data["institution"], operator_name=data["operator_name"],
                        operator_address=data["operator_address"], occurred_on=data["occurred_on"],
                        complainant_name=data["complainant_name"], complainant_phone=data["complainant_phone"],
                        consent=data["consent"], files=data["files"])
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    return _submitted(request, complaint, secret, created)
    chosen_id = (request.POST.get("institution") if request.method == "POST"
                 else request.GET.get("institution"))
    try:
        chosen_id = int(chosen_id) if chosen_id else None
    except ValueError:
        chosen_id = None
    question, token = antiabuse.new_captcha()
    data = form.data.copy() if form.is_bound else None
    if data is not None:  # a fresh question each time; the old answer is cleared
        data["captcha_token"], data["captcha_answer"] = token, ""
        form.data = data
    else:
        form.initial["captcha_token"] = token
    return render(request, "complaints/public_form.html", {
        "form": form, "q": q, "candidates": _candidates(q, chosen_id), "chosen_id": chosen_id,
        "captcha_question": question}, status=400 if form.is_bound and form.errors else 200)


def _tracked(request):
    form = TrackForm(request.POST or None)
    if not form.is_valid():
        return form, None
    if antiabuse.rate_limited("track", antiabuse.client_key(request)):
        form.add_error(None, _("查询过于频繁，请稍后再试。"))
        return form, None
    complaint = services.complaint_track(form.cleaned_data["code"], form.cleaned_data["secret"])
    if complaint is None:
        form.add_error(None, _("查询码或查询密码不正确。"))
    return form, complaint


def complaint_track_view(request):
    """POST code + secret (not a GET: they stay out of logs and history), then add information or rate."""
    form, complaint = _tracked(request) if request.method == "POST" else (TrackForm(), None)
    info_form, rate_form = AddInfoForm(), RateForm()
    if complaint is not None:
        step = request.POST.get("step")
        try:
            if step == "info":
                info_form = AddInfoForm(request.POST, request.FILES)
                if info_form.is_valid():
                    complaint = services.complaint_add_info(complaint, info_form.cleaned_data["text"],
                                                            info_form.cleaned_data["files"])
                    messages.success(request, _("补充情况已送达办理部门。"))
                    info_form = AddInfoForm()
            elif step == "rate":
                rate_form = RateForm(request.POST)
                if rate_form.is_valid():
                    complaint = services.complaint_rate(complaint, rate_form.cleaned_data["rating"],
                                                        rate_form.cleaned_data["comment"])
                    messages.success(request, _("感谢您的评价，投诉已办结。"))
        except ValidationError as exc:
            apply_errors(info_form if step == "info" else rate_form, exc)
    return render(request, "complaints/public_track.html", {
        "form": form, "complaint": complaint, "view": public_view_of(complaint) if complaint else None,
        "info_form": info_form, "rate_form": rate_form,
        "may_add_info": complaint is not None and complaint.state not in (
            ComplaintState.CLOSED, ComplaintState.MERGED, ComplaintState.DISMISSED),
        "may_rate": complaint is not None and complaint.state == ComplaintState.ANSWERED})


# ------------------------------------------------------------------------------------------------- staff

# Lazy: the labels are read per request, in the request's language.
VIEWS = {
    "intake": (gettext_lazy("待受理"), intake_queue),
    "mine": (gettext_lazy("本部门办理"), my_department_complaints),
    "overdue": (gettext_lazy("已逾期"), overdue),
    "all": (gettext_lazy("全部"), visible_complaints),
}


@login_required
def complaint_list(request):
    which = request.GET.get("view", "all")
    if which not in VIEWS:
        which = "all"
    queryset = VIEWS[which][1](request.user)
    filterset = ComplaintFilterSet(request.GET or None, queryset=queryset)
    rows = with_lead_department(filterset.qs).order_by("answer_due", "id")
    return render(request, "complaints/staff_list.html", {
        "page": CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page")), "filterset": filterset,
        "views": [(key, label) for key, (label, _f) in VIEWS.items()], "current": which,
        "today": timezone.localdate(), "open_states": OPEN_STATES})


def _get(request, pk) -> Complaint:
    return get_object_or_404(visible_complaints(request.user), pk=pk)


@login_required
def complaint_detail(request, pk):
    complaint = _get(request, pk)
    user = request.user
    intake = services.is_intake_staff(user, complaint)
    handling = services.handling_department_of(user, complaint)
    lead_handler = services.handling_department_of(user, complaint, lead_only=True)
    # PIPL: revealed (and audited) only for the intake bureau and the handling departments.
    person = services.reveal_complainant(user, complaint)
    context = {
        "complaint": complaint, "reasons": explain(user, complaint, Action.VIEW),
        "person": person, "masked": None if person else services.masked_complainant(complaint),
        "may_see_attachments": services.may_see_complainant(user, complaint),
        "routings": list(services.active_routings(complaint)),
        "notes": list(complaint.notes.all()), "intake": intake, "handling": handling,
        "lead_handler": lead_handler, "overdue": complaint.is_overdue(),
    }
    if intake and complaint.state in (ComplaintState.SUBMITTED, ComplaintState.ROUTED):
        suggestions = services.routing_suggestions(complaint)
        context["suggestions"] = suggestions
        context["route_form"] = RouteForm(departments=_routable(complaint), initial={
            "lead_department": suggestions[0].pk if suggestions else complaint.intake_department_id})
        context["merge_form"] = MergeForm()
        context["dismiss_form"] = ReasonForm() if complaint.state == ComplaintState.SUBMITTED else None
    if handling and complaint.state in (ComplaintState.ROUTED, ComplaintState.HANDLING):
        context["answer_form"] = AnswerForm() if lead_handler else None
        context["return_form"] = ReasonForm() if lead_handler else None
    context["may_open_lead"] = (intake or handling) and not complaint.institution_id and not complaint.lead_id
    context["may_request_inspection"] = ((intake or handling) and complaint.institution_id
                                         and not complaint.case_inspection_requested_at
                                         and complaint.state in OPEN_STATES)
    context["outcomes"] = Outcome
    return render(request, "complaints/staff_detail.html", context)


def _routable(complaint: Complaint):
    """Departments over the complaint's place that handle complaints (not collective bodies, not leaders)."""
    prefixes = [complaint.region_code[:n] for n in range(1, len(complaint.region_code) + 1)]
    return (Department.objects.filter(region__scope_code__in=prefixes, kind__is_collective=False)
            .exclude(kind__code="district_government").select_related("kind", "region")
            .order_by("-level", "kind_id"))


def _action(request, pk, form_class, call, done_message):
    complaint = _get(request, pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}：{'；'.join(errors)}")
        return redirect("complaint-detail", pk)
    try:
        call(complaint, form.cleaned_data if form else {})
    except (PermissionDenied, ValidationError) as exc:
        text = "；".join(sum(exc.message_dict.values(), [])) if hasattr(exc, "error_dict") else \
            "；".join(getattr(exc, "messages", [str(exc)]))
        messages.error(request, text)
    else:
        messages.success(request, done_message)
    return redirect("complaint-detail", pk)


@login_required
@require_POST
def complaint_route_view(request, pk):
    complaint = _get(request, pk)
    form = RouteForm(request.POST, departments=_routable(complaint))
    if not form.is_valid():
        messages.error(request, _("请选择主办部门。"))
        return redirect("complaint-detail", pk)
    return _action(request, pk, None, lambda c, _d: services.complaint_route(
        request.user, c, form.cleaned_data["lead_department"], form.cleaned_data["assist_departments"],
        form.cleaned_data["note"]), _("已转办。"))


@login_required
@require_POST
def complaint_acknowledge_view(request, pk):
    return _action(request, pk, None, lambda c, _d: services.complaint_acknowledge(request.user, c), _("已签收。"))


@login_required
@require_POST
def complaint_return_view(request, pk):
    return _action(request, pk, ReasonForm, lambda c, d: services.complaint_return(request.user, c, d["reason"]),
                   _("已退回受理部门。"))


@login_required
@require_POST
def complaint_answer_view(request, pk):
    return _action(request, pk, AnswerForm, lambda c, d: services.complaint_answer(request.user, c, **d),
                   _("已答复，投诉人可凭查询码查看。"))


@login_required
@require_POST
def complaint_dismiss_view(request, pk):
    return _action(request, pk, ReasonForm, lambda c, d: services.complaint_dismiss(request.user, c, d["reason"]),
                   _("已不予受理。"))


@login_required
@require_POST
def complaint_merge_view(request, pk):
    def merge(complaint, data):
        into = visible_complaints(request.user).filter(code=data["into"].strip().upper()).first()
        if into is None:
            raise ValidationError({"into": _("找不到该查询码的投诉。")})
        services.complaint_merge(request.user, complaint, into)
    return _action(request, pk, MergeForm, merge, _("已合并。"))


@login_required
@require_POST
def complaint_close_view(request, pk):
    return _action(request, pk, None, lambda c, _d: services.complaint_close(request.user, c), _("已办结。"))


@login_required
@require_POST
def complaint_open_lead_view(request, pk):
    return _action(request, pk, None, lambda c, _d: services.complaint_open_lead(request.user, c),
                   _("已登记未备案经营线索，现场检查期限20个工作日。"))


@login_required
@require_POST
def complaint_request_inspection_view(request, pk):
    return _action(request, pk, None, lambda c, _d: services.complaint_request_case_inspection(request.user, c),
                   _("已申请个案检查。"))


@login_required
def complaint_attachment(request, pk, attachment_pk):
    """Attachments are personal data: only for the intake bureau and handling departments; each read audited."""
    complaint = _get(request, pk)
    if not services.may_see_complainant(request.user, complaint):
        raise Http404
    attachment = get_object_or_404(complaint.attachments, pk=attachment_pk)
    from django.db import transaction

    with transaction.atomic():
        audit_record(request.user, "complaint.read_attachment", complaint, after={"attachment": attachment.pk})
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=attachment.content_type == "application/pdf",
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@login_required
def complaint_statistics(request):
    stats = statistics(request.user)
    labels = {"category": dict(Category.choices), "outcome": dict(Outcome.choices),
              "state": dict(ComplaintState.choices)}
    return render(request, "complaints/staff_statistics.html", {"stats": stats, "labels": labels})


urlpatterns = [
    path("complaints/", complaint_form, name="complaint-public-form"),
    path("complaints/track/", complaint_track_view, name="complaint-public-track"),
    path("staff/complaints/", complaint_list, name="complaint-list"),
    path("staff/complaints/statistics/", complaint_statistics, name="complaint-statistics"),
    path("staff/complaints/<int:pk>/", complaint_detail, name="complaint-detail"),
    path("staff/complaints/<int:pk>/route/", complaint_route_view, name="complaint-route"),
    path("staff/complaints/<int:pk>/acknowledge/", complaint_acknowledge_view, name="complaint-acknowledge"),
    path("staff/complaints/<int:pk>/return/", complaint_return_view, name="complaint-return"),
    path("staff/complaints/<int:pk>/answer/", complaint_answer_view, name="complaint-answer"),
    path("staff/complaints/<int:pk>/dismiss/", complaint_dismiss_view, name="complaint-dismiss"),
    path("staff/complaints/<int:pk>/merge/", complaint_merge_view, name="complaint-merge"),
    path("staff/complaints/<int:pk>/close/", complaint_close_view, name="complaint-close"),
    path("staff/complaints/<int:pk>/open-lead/", complaint_open_lead_view, name="complaint-open-lead"),
    path("staff/complaints/<int:pk>/request-inspection/", complaint_request_inspection_view,
         name="complaint-request-inspection"),
    path("staff/complaints/<int:pk>/attachments/<int:attachment_pk>/", complaint_attachment,
         name="complaint-attachment"),
]
