"""My work (我的待办): the queue page and the navigation badge. The queue is portal.workqueue's, built once per
request through each app's own restricted selector."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..context_processors import identity
from ..models import Notification
from ..workqueue import queue_for_request


@login_required
def work_queue(request):
    who = identity(request)
    queue = queue_for_request(request)
    source = request.GET.get("source", "")
    keys = {s.key for s in queue.summaries}
    items = [i for i in queue.items if i.source == source] if source in keys else queue.items
    return render(request, "portal/work_queue.html", {
        "who": who, "queue": queue, "items": items, "source": source if source in keys else ""})


@login_required
def work_badge(request):
    """The navigation's counts (pending work, overdue, unread notifications), fetched by htmx after the page
    loads, so that no page pays for them in its own query budget."""
    queue = queue_for_request(request)
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "portal/_work_badge.html", {"queue": queue, "unread": unread})
