"""Referral pages (移送/抄告): in and out with their clocks, what is late and who owes it, findings still to refer;
a referral's detail with the receiver's accept / decline / answer. Read through `Referral.objects.restrict()`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.calendar import working_calendar
from agencies.selectors import department_of

from ..choices import ReferralState
from ..services.referrals import (
    OPEN_REFERRAL_STATES,
    findings_needing_referral,
    referral_accept,
    referral_answer,
    referral_decline,
    referrals_overdue,
    visible_referrals,
)

LIST_LIMIT = 100


def _with_clock(referrals, today):
    """Working days left on the clock that is running: the receiver's answer while open."""
    calendar = working_calendar()
    for referral in referrals:
        referral.days_left = (calendar.working_days_between(today, referral.answer_due)
                              if referral.state in OPEN_REFERRAL_STATES and referral.answer_due else None)
        referral.days_late = -referral.days_left if referral.days_left is not None and referral.days_left < 0 else 0
        referral.sent_late = timezone.localdate(referral.sent_at) > referral.refer_due
    return referrals


@login_required
def referral_list(request):
    today = timezone.localdate()
    department = department_of(request.user)
    visible = visible_referrals(request.user).order_by("-sent_at", "-id")
    incoming = outgoing = []
    if department is not None:
        incoming = _with_clock(list(visible.filter(to_department=department)[:LIST_LIMIT]), today)
        outgoing = _with_clock(list(visible.filter(from_department=department)[:LIST_LIMIT]), today)
    return render(request, "inspections/referral_list.html", {
        "incoming": incoming, "outgoing": outgoing, "overdue": referrals_overdue(request.user, today),
        "to_refer": findings_needing_referral(request.user, today), "today": today, "department": department})


@login_required
def referral_detail(request, pk):
    referral = get_object_or_404(visible_referrals(request.user), pk=pk)
    department = department_of(request.user)
    is_receiver = department is not None and department.pk == referral.to_department_id
    _with_clock([referral], timezone.localdate())
    return render(request, "inspections/referral_detail.html", {
        "referral": referral, "is_receiver": is_receiver, "states": ReferralState})


ACTIONS = {"accept": referral_accept, "decline": referral_decline, "answer": referral_answer}


@login_required
@require_POST
def referral_action(request, pk, action):
    referral = get_object_or_404(visible_referrals(request.user), pk=pk)
    service = ACTIONS.get(action)
    if service is None:
        return redirect("referral-detail", referral.pk)
    try:
        if action == "accept":
            service(request.user, referral)
        else:
            service(request.user, referral, request.POST.get("text", ""))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(request, {"accept": _("已接收，可查看并验收该问题。"), "decline": _("已退回移送部门。"),
                                   "answer": _("已反馈办理情况。")}[action])
    return redirect("referral-detail", referral.pk)


urlpatterns = [
    path("referrals/", referral_list, name="referral-list"),
    path("referrals/<int:pk>/", referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/<str:action>/", referral_action, name="referral-action"),
]
