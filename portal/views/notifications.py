"""The inbox (站内通知): the user's own notifications, marking them read, and the e-mail preference."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Delivery, Notification
from ..notifications import delivery_of, notification_mark_all_read, notification_mark_read, notification_preference_set

INBOX_SIZE = 100  # the latest; older ones stay in the database


@login_required
def inbox(request):
    # Only the user's own rows: notifications are addressed to a person, not read through a department's scope.
    rows = Notification.objects.filter(recipient=request.user).order_by("-created", "-id")
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    return render(request, "portal/inbox.html", {
        "page": rows[:INBOX_SIZE],
        "unread_only": bool(request.GET.get("unread")),
        "delivery": delivery_of(request.user), "deliveries": Delivery.choices})


@login_required
@require_POST
def notification_open(request, pk):
    """Mark read and go to the record's page (the link is the portal's own path, never an outside address)."""
    try:
        notification = notification_mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        return redirect(notification.link)
    return redirect("notification-inbox")


@login_required
@require_POST
def notification_read_all(request):
    count = notification_mark_all_read(request.user)
    messages.success(request, _("已将%(n)s条通知标为已读。") % {"n": count})
    return redirect("notification-inbox")


@login_required
@require_POST
def notification_preference(request):
    try:
        notification_preference_set(request.user, request.POST.get("delivery", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("邮件提醒方式已保存。"))
    return redirect("notification-inbox")
