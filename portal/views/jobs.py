"""The owner's view of their background jobs (agencies.jobs): one job's progress, and the list of their jobs.

A job belongs to the user who started it; anybody else gets 404, as for a job that does not exist.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from agencies.jobs import live_status
from agencies.models import BackgroundJob

MY_JOBS_LIMIT = 50
REFRESH_SECONDS = 2


def _own_job(request, pk) -> BackgroundJob:
    return live_status(get_object_or_404(BackgroundJob.objects.filter(owner=request.user), pk=pk))


@login_required
@require_GET
def job_detail(request, pk):
    job = _own_job(request, pk)
    # htmx polls the status box alone; without script the page refreshes itself (<noscript> meta refresh).
    template = ("portal/_job_status.html" if request.headers.get("HX-Request") == "true"
                else "portal/job_detail.html")
    return render(request, template, {"job": job, "refresh_seconds": REFRESH_SECONDS})


@login_required
@require_GET
def job_download(request, pk):
    job = _own_job(request, pk)
    if not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name or None)


@login_required
@require_GET
def my_jobs(request):
    jobs = (BackgroundJob.objects.filter(owner=request.user)
            .only("id", "kind", "title", "state", "done", "total", "message", "created_at", "finished_at",
                  "result_url", "result_file", "owner_id")
            .order_by("-created_at", "-id")[:MY_JOBS_LIMIT])
    return render(request, "portal/my_jobs.html", {"jobs": [live_status(job) for job in jobs]})
