"""Rectification pages: the institution's findings to rectify and its report; the verifying department's queue
(待验收) and decision; the follow-up panel of a finding's detail (history, verify, refer, escalate).

Every finding is read through `Finding.objects.restrict()`: out of scope and missing answer the same 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.access import departments_covering
from agencies.choices import Action
from agencies.selectors import department_of

from ..choices import FindingState, Severity, SupervisedCaseState
from ..forms.findings import (
    RectificationForm,
    ReferralSendForm,
    SupervisedCaseForm,
    SuspensionForm,
    VerifyForm,
)
from ..models import Finding, RectificationEvidence, Referral, SupervisedCase, SuspensionOrder
from ..selectors import findings_to_verify
from ..services.findings import (
    may_verify,
    rectification_submit,
    rectification_verify,
    supervised_case_open,
    supervising_department_for,
    suspension_order_issue,
    verifying_department,
)
from ..services.referrals import refer_due_for, referral_send
from .findings import CappedPaginator, visible_findings

PAGE_SIZE = 50
SUBMITTABLE = (FindingState.OPEN, FindingState.RETURNED)


def apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _flash_error(request, exc) -> None:
    messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))


# ----------------------------------------------------------------------------------------------- detail panel


def followup_context(request, finding: Finding) -> dict:
    """What the detail page of a finding adds: its rectification history and the forms the user may use."""
    user = request.user
    department = department_of(user)
    history = list(finding.rectifications.select_related("submitted_by", "reviewed_by")
                   .prefetch_related("evidence").order_by("-submitted_at", "-id"))
    pending = next((r for r in history if r.decision == "pending"), None)
    senders = {d.pk for d in (finding.found_by, verifying_department(finding)) if d is not None}
    # The form (and the duty-catalog walk for competent departments) is on its own page: not on every detail view.
    may_refer = department is not None and department.pk in senders and finding.state != FindingState.CLOSED
    verifier = verifying_department(finding)
    is_verifier = department is not None and verifier is not None and department.pk == verifier.pk
    supervisor = supervising_department_for(finding) if finding.severity == Severity.MAJOR else None
    cases = list(SupervisedCase.objects.restrict(user, Action.VIEW).filter(finding=finding)
                 .select_related("supervising_department"))
    may_supervise = (supervisor is not None and finding.state != FindingState.CLOSED
                     and department is not None and department.pk in {supervisor.pk, getattr(verifier, "pk", None)}
                     and not any(c.state == SupervisedCaseState.OPEN for c in cases))
    return {
        "history": history,
        "pending": pending,
        "verify_form": VerifyForm(initial={"rectification": pending.pk, "accepted": "1"})
        if pending is not None and may_verify(user, finding) else None,
        "may_refer": may_refer,
        "refer_due": refer_due_for(finding),
        "referrals": list(Referral.objects.restrict(user, Action.VIEW).filter(finding=finding)
                          .select_related("from_department", "to_department")),
        "supervised_cases": cases,
        "supervisor": supervisor,
        "supervise_form": SupervisedCaseForm() if may_supervise else None,
        "suspension_orders": list(SuspensionOrder.objects.restrict(user, Action.VIEW).filter(finding=finding)
                                  .select_related("issued_by")),
        "suspend_form": SuspensionForm() if is_verifier and finding.state != FindingState.CLOSED else None,
        "verifier": verifier,
        "may_rectify": department is None and finding.state in SUBMITTABLE and _is_own(user, finding),
        "overdue": bool(finding.rectification_due and finding.rectification_due < timezone.localdate()
                        and finding.state != FindingState.CLOSED),
    }


def _is_own(user, finding) -> bool:
    from institutions.services.records import own_institutions

    return own_institutions(user).filter(pk=finding.institution_id).exists()


def _finding(request, pk) -> Finding:
    return get_object_or_404(visible_findings(request.user).select_related("institution__region"), pk=pk)


@login_required
@require_POST
def verify_view(request, pk):
    finding = _finding(request, pk)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择验收结论。"))
        return redirect("finding-detail", finding.pk)
    rectification = get_object_or_404(finding.rectifications, pk=form.cleaned_data["rectification"])
    try:
        rectification_verify(request.user, rectification, form.cleaned_data["accepted"], form.cleaned_data["note"])
    except (PermissionDenied, ValidationError) as exc:
        _flash_error(request, exc)
    else:
        accepted = form.cleaned_data["accepted"]
        messages.success(request, _("已验收通过，问题销号。") if accepted else _("已退回机构重新整改。"))
    return redirect("finding-detail", finding.pk)


@login_required
def refer_view(request, pk):
    """移送/抄告 form: the receivers offered are the departments the duty catalog makes competent for the finding."""
    finding = _finding(request, pk)
    own = department_of(request.user)
    competent = [d for d in departments_covering(finding, Action.ACCEPT_REFERRAL) if own is None or d.pk != own.pk]
    form = ReferralSendForm(request.POST or None, departments=competent)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_send(request.user, finding, form.cleaned_data["to_department"],
                                     form.cleaned_data["kind"], form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已移送%(dept)s。") % {"dept": referral.to_department.name})
            return redirect("finding-detail", finding.pk)
    return render(request, "inspections/refer.html", {"finding": finding, "form": form,
                                                      "refer_due": refer_due_for(finding)})


@login_required
@require_POST
def supervise_view(request, pk):
    finding = _finding(request, pk)
    form = SupervisedCaseForm(request.POST)
    if form.is_valid():
        try:
            supervised_case_open(request.user, finding, supervising_department_for(finding),
                                 form.cleaned_data["requirements"], form.cleaned_data["deadline"])
        except (PermissionDenied, ValidationError) as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("已挂牌督办。"))
    else:
        messages.error(request, _("请填写督办要求和期限。"))
    return redirect("finding-detail", finding.pk)


@login_required
@require_POST
def suspend_view(request, pk):
    finding = _finding(request, pk)
    form = SuspensionForm(request.POST)
    if form.is_valid():
        try:
            suspension_order_issue(request.user, finding, form.cleaned_data["reason"], form.cleaned_data["basis"])
        except (PermissionDenied, ValidationError) as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("已责令停业整顿。"))
    else:
        messages.error(request, _("请写明事由。"))
    return redirect("finding-detail", finding.pk)


@login_required
def evidence_view(request, pk):
    """An evidence file, only for someone who may see its finding."""
    evidence = get_object_or_404(RectificationEvidence.objects.select_related("rectification"), pk=pk)
    if not visible_findings(request.user).filter(pk=evidence.rectification.finding_id).exists():
        raise Http404
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ----------------------------------------------------------------------------------------------- queues


@login_required
def verify_queue(request):
    """待验收: submitted rectifications the user's department verifies (谁检查谁验收)."""
    queryset = (findings_to_verify(request.user, department_of(request.user))
                .select_related("institution", "domain", "found_by").order_by("rectification_due", "id"))
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/verify_queue.html", {"page": page, "today": timezone.localdate()})


@login_required
def my_findings(request):
    """An institution's own findings, the ones to rectify first."""
    queryset = (Finding.objects.restrict(request.user, Action.VIEW)
                .select_related("domain", "institution", "found_by").order_by("state", "rectification_due", "id"))
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/my_findings.html", {"page": page, "today": timezone.localdate(),
                                                            "submittable": SUBMITTABLE})


@login_required
def rectify_view(request, pk):
    finding = _finding(request, pk)
    if not _is_own(request.user, finding):
        raise Http404
    form = RectificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rectification_submit(request.user, finding, form.cleaned_data["measures"], form.cleaned_data["evidence"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("整改报告已提交，等待%(dept)s验收。") % {
                "dept": getattr(verifying_department(finding), "name", _("检查部门"))})
            return redirect("finding-mine")
    return render(request, "inspections/rectify.html", {"finding": finding, "form": form,
                                                        "history": finding.rectifications.order_by("-submitted_at")})


urlpatterns = [
    path("findings/mine/", my_findings, name="finding-mine"),
    path("findings/to-verify/", verify_queue, name="finding-verify-queue"),
    path("findings/<int:pk>/rectify/", rectify_view, name="finding-rectify"),
    path("findings/<int:pk>/verify/", verify_view, name="finding-verify"),
    path("findings/<int:pk>/refer/", refer_view, name="finding-refer"),
    path("findings/<int:pk>/supervise/", supervise_view, name="finding-supervise"),
    path("findings/<int:pk>/suspend/", suspend_view, name="finding-suspend"),
    path("rectifications/evidence/<int:pk>/", evidence_view, name="rectification-evidence"),
]
