"""Excel import/export of the directory: all-or-nothing import with row/column errors, progress, scope."""

import time
from io import BytesIO
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from agencies import jobs
from agencies.models import AuditEvent, BackgroundJob
from institutions.excel import COLUMNS
from institutions.models import Institution
from institutions.tasks.imports import import_institutions
from institutions.uscc import build_uscc

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]


def row(n, district="和平区", **overrides):
    values = {"机构名称": f"导入测试养老院{n}", "统一社会信用代码": build_uscc("52", "120101", f"9{n:07d}"),
              "所在区": district, "地址": f"天津市{district}测试路{n}号", "法定代表人": "张三",
              "联系电话": "022-1234567",
              "床位数": 50, "在住老人数": 30, "建筑面积": 1200.5, "营利性质": "非营利性", "内设医疗机构": "是",
              "医保定点": "否", "设有食堂": "是", "特种设备": "否", "享受补贴": "否", "公建民营": "否"}
    values.update(overrides)
    return [values.get(h) for h in HEADERS]


def workbook_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def run_import(content: bytes, user):
    from django.core.files.base import ContentFile

    path = default_storage.save("imports/test.xlsx", ContentFile(content))
    job = BackgroundJob.objects.create(owner=user, kind="institutions.import", title="test")
    return import_institutions.apply(args=[job.pk, path]).get()


def test_two_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(users):
    good = build_uscc("52", "120101", "90000002")
    bad_code = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [row(1), row(2, 统一社会信用代码=bad_code), row(3), row(4, 床位数="很多"), row(5)]
    before = Institution.objects.count()
    result = run_import(_sheet(rows), users["civil_heping"])
    assert Institution.objects.count() == before
    assert result["created"] == 0
    texts = [e["text"] for e in result["errors"]]
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "统一社会信用代码"), (5, "床位数")], texts
    assert texts[0].startswith("第3行「统一社会信用代码」：") and "校验位" in texts[0]
    assert texts[1].startswith("第5行「床位数」：")


def _sheet(rows):
    return workbook_bytes(rows)


def test_a_row_of_another_district_is_a_row_error(users):
    result = run_import(_sheet([row(1), row(2, "河西区")]), users["civil_heping"])
    assert result["created"] == 0
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "所在区")]
    assert "辖区" in result["errors"][0]["message"]


def test_the_same_code_twice_in_a_file_is_an_error(users):
    result = run_import(_sheet([row(1), row(1, 机构名称="另一家")]), users["civil_heping"])
    assert result["errors"][0]["row"] == 3 and "与第2行重复" in result["errors"][0]["message"]


def test_good_file_of_5000_rows_imports_with_progress(users, capsys):
    rows = [row(n) for n in range(1, 5001)]
    content = _sheet(rows)
    before = Institution.objects.count()
    states = []
    original = jobs.job_progress

    def record(job_id, done, total=None, message=None):
        states.append({"done": done, "total": total})
        return original(job_id, done, total, message)

    with mock.patch.object(jobs, "job_progress", side_effect=record):
        started = time.perf_counter()
        result = run_import(content, users["civil_heping"])
        elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n5,000-row import: {elapsed:.1f} s")
    assert result["errors"] == [] and result["created"] == 5000
    assert Institution.objects.count() == before + 5000
    assert Institution.objects.filter(uscc=build_uscc("52", "120101", "90004999")).get().region.name == "和平区"
    done = [s["done"] for s in states]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 5000 and len(done) >= 20
    assert all(s["total"] == 5000 for s in states)
    assert AuditEvent.objects.filter(verb="institution.import_create").count() == 5000


def test_only_civil_affairs_staff_may_import(client, users):
    client.force_login(users["fire_heping"])
    assert client.get("/institutions/import/").status_code == 403
    client.force_login(users["civil_heping"])
    assert client.get("/institutions/import/").status_code == 200


def test_upload_page_starts_the_task_and_reports_progress_to_its_owner_only(client, users,
                                                                         django_capture_on_commit_callbacks):
    client.force_login(users["civil_heping"])
    upload = SimpleUploadedFile("名录.xlsx", _sheet([row(1), row(2)]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/institutions/import/", {"file": upload})
    assert response.status_code == 302
    progress_url = response["Location"]
    job = BackgroundJob.objects.get(kind="institutions.import")
    assert progress_url == f"/jobs/{job.pk}/"
    assert (job.state, job.done, job.total) == ("done", 2, 2)
    page = client.get(progress_url)
    assert "导入完成：新增 2 家" in page.content.decode()
    client.force_login(users["civil_hexi"])
    assert client.get(progress_url).status_code == 404


def test_upload_with_errors_shows_them(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["civil_heping"])
    upload = SimpleUploadedFile("名录.xlsx", _sheet([row(1, 床位数=-3)]))
    with django_capture_on_commit_callbacks(execute=True):
        location = client.post("/institutions/import/", {"file": upload})["Location"]
    page = client.get(location)
    assert BackgroundJob.objects.get(kind="institutions.import").state == "failed"
    html = page.content.decode()
    assert "未导入任何机构" in html and "第2行「床位数」" in html


def export_rows(client, user):
    client.force_login(user)
    response = client.get("/institutions/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return response.content, [dict(zip(HEADERS, r, strict=True)) for r in rows[1:]]


def test_export_for_fire_heping_holds_only_heping_institutions(client, users):
    _content, rows = export_rows(client, users["fire_heping"])
    visible = Institution.objects.restrict(users["fire_heping"], "view")
    assert rows and {r["所在区"] for r in rows} == {"和平区"}
    assert sorted(r["统一社会信用代码"] for r in rows) == sorted(visible.values_list("uscc", flat=True))


def test_export_needs_login(client):
    assert client.get("/institutions/export.xlsx").status_code == 302


def test_round_trip_export_then_import_updates_and_never_duplicates(client, users):
    content, rows = export_rows(client, users["civil_heping"])
    assert len(rows) == Institution.objects.filter(region__code="120101").count() == 4
    before = Institution.objects.count()
    result = run_import(content, users["civil_heping"])
    assert result == {**result, "created": 0, "updated": 0, "unchanged": 4, "errors": []}

    wb = load_workbook(BytesIO(content))
    ws = wb.active
    beds_col = HEADERS.index("床位数") + 1
    ws.cell(row=2, column=beds_col, value=999)
    out = BytesIO()
    wb.save(out)
    result = run_import(out.getvalue(), users["civil_heping"])
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 3)
    assert Institution.objects.count() == before
    changed = Institution.objects.get(uscc=rows[0]["统一社会信用代码"])
    assert changed.beds == 999
    assert AuditEvent.objects.filter(verb="institution.update", object_id=str(changed.pk)).exists()
