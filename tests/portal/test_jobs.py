"""Background jobs (agencies.jobs): progress the owner can watch and come back to, errors they can read, 404 for
everybody else, and the long pieces of work wired to them (import, export, credit recompute)."""

import re
from io import BytesIO

import pytest
from celery import shared_task
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from agencies import jobs
from agencies.models import AuditEvent, BackgroundJob, OutboxMessage
from credit.services import evaluation
from institutions.models import Institution

pytestmark = pytest.mark.django_db


@shared_task
def _counting_task(job_id: int, fail_at: int | None = None) -> None:
    """A real task on the mechanism: ten steps, each reported; optionally raising part-way."""
    with jobs.running_job(job_id) as job:
        if job is None:  # ended, or running elsewhere
            return
        for step in range(1, 11):
            if step == fail_at:
                raise RuntimeError("磁盘已满")
            job.progress(step, 10)
        job.finish(message="完成", result_url="/public/")


def bar(html: str) -> tuple[str, str]:
    match = re.search(r'<progress[^>]*max="(\d+)"\s+value="(\d+)"', html)
    return match.group(1), match.group(2)


def test_progress_advances_and_the_page_shows_it(client, users):
    owner = users["civil_heping"]
    job = BackgroundJob.objects.create(owner=owner, kind="test", title="测试任务")
    client.force_login(owner)
    url = reverse("job-detail", args=[job.pk])
    html = client.get(url).content.decode()
    assert "排队中" in html and 'http-equiv="refresh"' in html and 'hx-trigger="every' in html

    jobs.job_start(job.pk)
    jobs.job_progress(job.pk, 3, 10)
    html = client.get(url).content.decode()
    assert bar(html) == ("10", "3") and "已处理 3 / 10（30%）" in html and "进行中" in html

    jobs.job_progress(job.pk, 7, 10)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert bar(fragment) == ("10", "7") and "<html" not in fragment and "hx-get" in fragment

    jobs.job_finish(job.pk, message="已完成十项", result_url="/public/")
    html = client.get(url).content.decode()
    assert bar(html) == ("10", "10") and "已完成十项" in html and 'href="/public/"' in html
    assert 'http-equiv="refresh"' not in html and 'hx-trigger="every' not in html  # a finished job stops refreshing
    assert set(AuditEvent.objects.filter(object_id=str(job.pk), object_type="agencies.backgroundjob")
               .values_list("verb", flat=True)) == {"job.done"}


def test_progress_inside_a_transaction_is_seen_live_through_the_cache(client, users):
    """The all-or-nothing import reports from inside its transaction; the page must still see it move."""
    from django.db import transaction

    owner = users["civil_heping"]
    job = BackgroundJob.objects.create(owner=owner, kind="test", title="长事务")
    jobs.job_start(job.pk)
    with transaction.atomic():
        jobs.job_progress(job.pk, 40, 100)
        assert BackgroundJob.objects.get(pk=job.pk).done == 0  # the row is not written mid-transaction
    client.force_login(owner)
    assert bar(client.get(reverse("job-detail", args=[job.pk])).content.decode()) == ("100", "40")


def test_another_user_gets_404(client, users):
    job = BackgroundJob.objects.create(owner=users["civil_heping"], kind="test", title="别人的任务")
    client.force_login(users["civil_hexi"])
    assert client.get(reverse("job-detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("job-download", args=[job.pk])).status_code == 404
    assert "别人的任务" not in client.get(reverse("my-jobs")).content.decode()
    client.logout()
    assert client.get(reverse("job-detail", args=[job.pk])).status_code == 302  # to the login page


def test_the_state_table_refuses_going_back(users):
    job = BackgroundJob.objects.create(owner=users["civil_heping"], kind="test", title="t")
    jobs.job_start(job.pk)
    jobs.job_finish(job.pk)
    with pytest.raises(ValidationError):
        jobs.job_fail(job.pk, "太晚了")
    assert jobs.job_start(job.pk) is None  # a redelivered task does nothing


def test_a_task_runs_through_the_outbox_after_commit_and_survives_the_page(client, users,
                                                                          django_capture_on_commit_callbacks):
    owner = users["civil_heping"]
    with django_capture_on_commit_callbacks() as callbacks:
        job = jobs.job_create(owner, "test", "十步", _counting_task)
        assert BackgroundJob.objects.get(pk=job.pk).state == "queued"
        message = OutboxMessage.objects.get(key=f"job:{job.pk}")
        assert (message.task, message.args) == ("agencies.tasks.start_background_job", [job.pk, _counting_task.name])
    assert len(callbacks) == 1  # the outbox's delivery, queued on commit, not before
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()  # delivers the start; the job itself runs after that delivery's commit, not inside it
    job.refresh_from_db()
    message.refresh_from_db()
    assert (job.state, job.done, job.total, job.message) == ("done", 10, 10, "完成")
    assert (message.state, message.attempts) == ("sent", 1)
    client.force_login(owner)
    listing = client.get(reverse("my-jobs")).content.decode()
    assert "十步" in listing and "已完成" in listing


def test_a_failed_job_shows_its_error_and_keeps_its_progress(client, users):
    owner = users["civil_heping"]
    job = BackgroundJob.objects.create(owner=owner, kind="test", title="会失败的任务")
    _counting_task.apply(args=[job.pk, 6])  # raises at step 6: the job, not the caller, reports it
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("failed", 5, 10)
    client.force_login(owner)
    html = client.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "失败" in html and "任务出错：磁盘已满" in html and bar(html) == ("10", "5")


def test_credit_recompute_failure_keeps_the_chunks_already_regraded(users, monkeypatch):
    from credit.tasks import recompute_all_job

    monkeypatch.setattr(evaluation, "CHUNK", 10)
    real_chunk, calls = evaluation._chunk, []

    def chunk_that_fails_third(*args):
        calls.append(args[0])
        if len(calls) == 3:
            raise RuntimeError("数据库连接中断")
        return real_chunk(*args)

    monkeypatch.setattr(evaluation, "_chunk", chunk_that_fails_third)
    Institution.objects.update(credit_grade="")
    job = BackgroundJob.objects.create(owner=users["civil_city"], kind="credit.recompute", title="重算")
    recompute_all_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.state == "failed" and "数据库连接中断" in job.message and job.done == 20
    regraded = Institution.objects.filter(pk__in=calls[0] + calls[1]).exclude(credit_grade="").count()
    assert regraded == 20  # the first two chunks stay graded
    assert not Institution.objects.filter(pk__in=calls[2]).exclude(credit_grade="").exists()


def test_credit_recompute_is_started_by_city_civil_affairs_only(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["civil_heping"])
    assert client.post(reverse("credit-recompute-all")).status_code == 403
    client.force_login(users["civil_city"])
    assert "recompute-all" in client.get(reverse("credit-entry-list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("credit-recompute-all"))
    job = BackgroundJob.objects.get(kind="credit.recompute")
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    assert job.state == "done" and job.done == job.total == Institution.objects.exclude(status="closed").count()


def test_background_export_offers_the_sheet_to_its_owner_only(client, users, django_capture_on_commit_callbacks):
    owner = users["civil_heping"]
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("institution-export-background"))
    job = BackgroundJob.objects.get(kind="institutions.export")
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    html = client.get(response["Location"]).content.decode()
    assert job.state == "done" and "job-download" in html
    download = client.get(reverse("job-download", args=[job.pk]))
    rows = list(load_workbook(BytesIO(b"".join(download.streaming_content))).active.values)
    visible = Institution.objects.restrict(owner, "view").count()
    assert len(rows) == visible + 1 and visible > 0
    client.force_login(users["civil_hexi"])
    assert client.get(reverse("job-download", args=[job.pk])).status_code == 404


def test_my_jobs_keeps_a_constant_query_count(client, users, django_assert_max_num_queries):
    owner = users["civil_heping"]
    client.force_login(owner)
    BackgroundJob.objects.create(owner=owner, kind="test", title="一")
    with django_assert_max_num_queries(12):
        client.get(reverse("my-jobs"))
    BackgroundJob.objects.bulk_create(BackgroundJob(owner=owner, kind="test", title=f"任务{i}") for i in range(50))
    with django_assert_max_num_queries(12):
        html = client.get(reverse("my-jobs")).content.decode()
    assert html.count('data-testid="job-row"') == 50
