"""The filing workflow services: transition table, materials by content, pledge snapshot, review, receipts,
the on-site check deadline in working days and the notice of institutions below standard."""

import datetime as dt
import itertools
import re
import threading
import time
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from pypdf import PdfReader

from agencies.models import AuditEvent, Department
from institutions.choices import (
    FILING_TRANSITIONS,
    FilingKind,
    FilingState,
    FilingStatus,
    MaterialKind,
    OnSiteCheckResult,
    OnSiteCheckStatus,
)
from institutions.models import Filing, Institution, OnSiteCheck, PledgeTemplate
from institutions.receipts import filing_receipt_pdf
from institutions.services.filing import (
    filing_add_material,
    filing_approve,
    filing_create_draft,
    filing_return,
    filing_sign_pledge,
    filing_submit,
    filing_transition,
    filing_update_draft,
    onsite_check_record,
)
from institutions.services.records import own_institutions

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FORM = dict(name="天津市和平区夕阳红养护中心", address="天津市和平区示范路4号", legal_representative="赵志强",
            person_in_charge="钱梅", beds=120, building_area="2000.00", contact_person="孙丽",
            contact_phone="022-27000000", service_scope="生活照料、膳食、康复护理")


def upload(name="证书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def institution_of(user) -> Institution:
    return own_institutions(user).get()


def account(users, district: str, status: str = FilingStatus.UNFILED):
    """The demo account (inst_1…inst_8) of an institution in `district` with `status` and no open filing: the
    demo decides which account that is, the tests do not hard-code it."""
    for n in range(1, 9):
        user = users[f"inst_{n}"]
        institution = institution_of(user)
        if (institution.region_code == district and institution.filing_status == status
                and not Filing.objects.filter(institution=institution, state__in=OPEN).exists()):
            return user
    pytest.fail(f"the demo has no {status} institution account in {district}")


OPEN = [FilingState.DRAFT, FilingState.SUBMITTED, FilingState.RETURNED]
HEPING, HEXI = "120101", "120103"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def ready_filing(user, media=None) -> Filing:
    """A complete draft of `user`'s unfiled institution: form, the three required materials, signed pledge."""
    filing = filing_create_draft(user, institution_of(user), FilingKind.INITIAL, **FORM)
    for kind in (MaterialKind.REGISTRATION_CERTIFICATE, MaterialKind.SITE_PROOF):
        filing_add_material(user, filing, kind, upload())
    filing_add_material(user, filing, MaterialKind.FIRE, upload("消防.png", PNG))
    filing_sign_pledge(user, filing, "赵志强", "法定代表人")
    return filing


def submitted_filing(user) -> Filing:
    return filing_submit(user, ready_filing(user))


# ----------------------------------------------------------------------------------------------- transition table

ALL_PAIRS = list(itertools.product(FilingState, FilingState))


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a.value}->{b.value}" for a, b in ALL_PAIRS])
def test_transition_table_allows_exactly_its_pairs(source, target):
    filing = Filing(state=source)
    if target in FILING_TRANSITIONS[source]:
        filing_transition(filing, target)
        assert filing.state == target
    else:
        with pytest.raises(ValidationError, match="不能变更为"):
            filing_transition(filing, target)
        assert filing.state == source


def test_services_refuse_illegal_jumps(users, media):
    inst, reviewer = account(users, HEPING), users["civil_heping"]
    filing = ready_filing(inst)
    with pytest.raises(ValidationError):  # draft → approved skips submission
        filing_approve(reviewer, filing)
    with pytest.raises(ValidationError):  # draft → returned
        filing_return(reviewer, filing, ["x"])
    filing_submit(inst, filing)
    with pytest.raises(ValidationError):  # submitted → submitted
        filing_submit(inst, filing)
    filing_approve(reviewer, filing)
    with pytest.raises(ValidationError):  # approved is final
        filing_return(reviewer, filing, ["x"])
    filing.refresh_from_db()
    assert filing.state == FilingState.APPROVED


# ----------------------------------------------------------------------------------------------- the whole path


def test_file_return_resubmit_approve(users, media, django_capture_on_commit_callbacks):
    inst, reviewer = account(users, HEPING), users["civil_heping"]
    institution = institution_of(inst)
    assert institution.filing_status == FilingStatus.UNFILED
    filing = submitted_filing(inst)
    assert Institution.objects.get(pk=institution.pk).filing_status == FilingStatus.PENDING
    assert filing.review_department.name == "和平区民政局"

    filing_return(reviewer, filing, ["消防验收材料不清晰", "服务场所权属证明未盖章"], "请补正")
    filing.refresh_from_db()
    assert filing.state == FilingState.RETURNED
    assert filing.missing_items == ["消防验收材料不清晰", "服务场所权属证明未盖章"]
    assert Institution.objects.get(pk=institution.pk).filing_status == FilingStatus.RETURNED

    filing_update_draft(inst, filing, beds=130)
    filing_submit(inst, filing)
    with django_capture_on_commit_callbacks(execute=True):
        filing_approve(reviewer, filing, today=dt.date(2026, 5, 6))
    filing.refresh_from_db()
    assert filing.state == FilingState.APPROVED
    assert filing.number == "津民养备〔2026〕120101-0001"
    assert filing.missing_items == []
    institution.refresh_from_db()
    assert institution.filing_status == FilingStatus.FILED
    assert institution.beds == 130 and not institution.registered_not_filed
    check = OnSiteCheck.objects.get(filing=filing)
    assert check.department.name == "和平区民政局" and check.status == OnSiteCheckStatus.PENDING
    verbs = list(AuditEvent.objects.filter(object_type="institutions.filing", object_id=str(filing.pk))
                 .order_by("id").values_list("verb", flat=True))
    assert verbs[0] == "filing.create" and verbs[-1] == "filing.approve" and "filing.return" in verbs
    assert mail.outbox == []  # nothing below standard, nobody notified


def test_submit_lists_what_is_missing(users, media):
    inst = account(users, HEPING)
    filing = filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **FORM)
    filing_add_material(inst, filing, MaterialKind.SITE_PROOF, upload())
    with pytest.raises(ValidationError) as exc:
        filing_submit(inst, filing)
    text = " ".join(exc.value.messages)
    assert "登记证书" in text and "消防" in text and "信用承诺书" in text and "服务场所权属" not in text
    filing.refresh_from_db()
    assert filing.state == FilingState.DRAFT


def test_second_open_filing_and_wrong_kind_are_refused(users, media):
    inst = account(users, HEPING)
    with pytest.raises(ValidationError, match="尚未备案"):
        filing_create_draft(inst, institution_of(inst), FilingKind.CHANGE, **FORM)
    filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **FORM)
    with pytest.raises(ValidationError, match="未办结"):
        filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **FORM)
    with pytest.raises(ValidationError, match="已备案"):
        filed = account(users, HEPING, FilingStatus.FILED)
        filing_create_draft(filed, institution_of(filed), FilingKind.INITIAL, **FORM)


def test_form_errors_name_the_field(users, media):
    inst = account(users, HEPING)
    with pytest.raises(ValidationError) as exc:
        filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **{**FORM, "beds": -3, "name": ""})
    assert {"beds", "name"} <= set(exc.value.message_dict)


def test_cancellation_of_a_filed_institution(users, media):
    inst, reviewer = account(users, HEPING, FilingStatus.FILED), users["civil_heping"]
    institution = institution_of(inst)
    filing = filing_create_draft(inst, institution, FilingKind.CANCELLATION)
    for kind in (MaterialKind.REGISTRATION_CERTIFICATE, MaterialKind.SITE_PROOF, MaterialKind.FIRE):
        filing_add_material(inst, filing, kind, upload())
    filing_sign_pledge(inst, filing, "张建国")
    filing_submit(inst, filing)
    assert Institution.objects.get(pk=institution.pk).filing_status == FilingStatus.FILED  # until approved
    filing_approve(reviewer, filing)
    assert Institution.objects.get(pk=institution.pk).filing_status == FilingStatus.CANCELLED
    assert not OnSiteCheck.objects.filter(filing=filing).exists()


# ----------------------------------------------------------------------------------------------- who may act


def test_other_accounts_and_districts_cannot_act(users, media):
    owner = account(users, HEPING)
    neighbour = next(users[f"inst_{n}"] for n in range(1, 5) if users[f"inst_{n}"] != owner)  # same district
    elsewhere = account(users, HEXI, FilingStatus.FILED)
    filing = ready_filing(owner)
    with pytest.raises(PermissionDenied):
        filing_add_material(neighbour, filing, MaterialKind.OTHER, upload())
    with pytest.raises(PermissionDenied):
        filing_submit(elsewhere, filing)
    with pytest.raises(PermissionDenied):
        filing_create_draft(neighbour, institution_of(owner), FilingKind.INITIAL, **FORM)
    filing_submit(owner, filing)
    users["owner"] = owner
    for outsider in ("civil_hexi", "fire_heping", "owner"):
        with pytest.raises(PermissionDenied):
            filing_approve(users[outsider], filing)


# ----------------------------------------------------------------------------------------------- materials


def test_material_is_checked_by_content_and_stored_under_a_server_name(users, media):
    inst = account(users, HEPING)
    filing = filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **FORM)
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
    with pytest.raises(ValidationError) as exc:
        filing_add_material(inst, filing, MaterialKind.FIRE, upload("消防验收.pdf", exe))
    assert "file" in exc.value.message_dict
    assert "不是 PDF、JPEG 或 PNG" in exc.value.message_dict["file"][0]
    assert not filing.materials.exists()

    material = filing_add_material(inst, filing, MaterialKind.FIRE, upload("../../etc/消防验收.pdf"))
    assert material.original_name == "消防验收.pdf"
    assert material.content_type == "application/pdf" and material.size == len(PDF)
    assert re.fullmatch(r"filings/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", material.file.name)
    import hashlib

    assert material.sha256 == hashlib.sha256(PDF).hexdigest()
    jpeg = filing_add_material(inst, filing, MaterialKind.OTHER, upload("photo.pdf", b"\xff\xd8\xff\xe0" + b"0" * 20))
    assert jpeg.content_type == "image/jpeg" and jpeg.file.name.endswith(".jpg")


def test_material_over_10_mb_is_refused(users, media):
    inst = account(users, HEPING)
    filing = filing_create_draft(inst, institution_of(inst), FilingKind.INITIAL, **FORM)
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationError) as exc:
        filing_add_material(inst, filing, MaterialKind.FIRE, upload("big.pdf", big))
    assert "10 MB" in exc.value.message_dict["file"][0]


# ----------------------------------------------------------------------------------------------- pledge


def test_pledge_keeps_the_exact_text_signed(users, media):
    inst = account(users, HEPING)
    template = PledgeTemplate.objects.get(active=True)
    assert all(word in template.text for word in ("建筑", "消防", "食品", "医疗卫生"))
    filing = ready_filing(inst)
    signed = template.text
    PledgeTemplate.objects.filter(pk=template.pk).update(active=False)
    PledgeTemplate.objects.create(version=template.version + 1, text="新版承诺书", effective_from=dt.date(2027, 1, 1),
                                  active=True)
    filing.pledge.refresh_from_db()
    assert filing.pledge.text == signed and filing.pledge.signed_by == inst
    with pytest.raises(ValidationError, match="已签署"):
        filing_sign_pledge(inst, filing, "赵志强")


# ----------------------------------------------------------------------------------------------- review


def test_second_approval_gets_a_clear_error_and_one_receipt(users, media):
    inst = account(users, HEPING)
    filing = submitted_filing(inst)
    first = filing_approve(users["civil_heping"], filing)
    with pytest.raises(ValidationError, match="已于.*审核通过（回执编号 津民养备〔\\d{4}〕120101-0001）"):
        filing_approve(users["civil_city"], filing)  # the city bureau may review too, and comes second
    assert Filing.objects.filter(number__startswith="津民养备〔").count() == 1
    assert Filing.objects.get(pk=filing.pk).number == first.number


def test_receipt_numbers_run_per_district_and_year(users, media):
    inst = account(users, HEPING)
    a = submitted_filing(inst)
    b = submitted_filing(account(users, HEXI))  # 河西区
    filing_approve(users["civil_heping"], a, today=dt.date(2026, 6, 1))
    filing_approve(users["civil_hexi"], b, today=dt.date(2026, 6, 1))
    assert Filing.objects.get(pk=a.pk).number.endswith("120101-0001")
    assert Filing.objects.get(pk=b.pk).number == "津民养备〔2026〕120103-0001"
    # The next one in 和平区 continues its series.
    c = filing_create_draft(inst, institution_of(inst), FilingKind.CHANGE, **FORM)
    for kind in (MaterialKind.REGISTRATION_CERTIFICATE, MaterialKind.SITE_PROOF, MaterialKind.FIRE):
        filing_add_material(inst, c, kind, upload())
    filing_sign_pledge(inst, c, "赵志强")
    filing_submit(inst, c)
    filing_approve(users["civil_heping"], c, today=dt.date(2026, 7, 1))
    assert Filing.objects.get(pk=c.pk).number == "津民养备〔2026〕120101-0002"


def test_onsite_deadline_skips_national_day(users, media):
    filing = submitted_filing(account(users, HEPING))
    filing_approve(users["civil_heping"], filing, today=dt.date(2026, 9, 28))
    check = OnSiteCheck.objects.get(filing=filing)
    # 20 working days after 2026-09-28, with 10-01…10-07 off and the make-up days worked.
    assert check.due_date == dt.date(2026, 10, 30)


def test_onsite_deadline_uses_local_date_when_none_given(users, media, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 9, 28))
    filing = submitted_filing(account(users, HEPING))
    filing_approve(users["civil_heping"], filing)
    assert OnSiteCheck.objects.get(filing=filing).due_date == dt.date(2026, 10, 30)


def test_below_standard_notifies_fire_and_housing(users, media, django_capture_on_commit_callbacks):
    users["fire_heping"].email = "fire@heping.example"
    users["fire_heping"].save()
    users["housing_heping"].email = "housing@heping.example"
    users["housing_heping"].save()
    filing = submitted_filing(account(users, HEPING))
    with django_capture_on_commit_callbacks(execute=True):
        filing_approve(users["civil_heping"], filing, below_accessibility_standard=True, below_fire_standard=True)
    filing.refresh_from_db()
    assert filing.below_fire_standard and filing.below_accessibility_standard
    recipients = sorted(r for m in mail.outbox for r in m.to)
    assert recipients == ["fire@heping.example", "housing@heping.example"]
    fire_mail = next(m for m in mail.outbox if m.to == ["fire@heping.example"])
    assert "消防安全" in fire_mail.subject and filing.number in fire_mail.body
    notices = AuditEvent.objects.filter(verb="filing.notify_below_standard", object_id=str(filing.pk))
    expected = sorted(Department.objects.filter(region__code=HEPING, kind__code__in=["fire_rescue",
                                                                                    "housing_construction"])
                      .values_list("name", flat=True))
    assert len(expected) == 2 and sorted(e.after["department"] for e in notices) == expected


def test_onsite_check_record(users, media):
    filing = submitted_filing(account(users, HEPING))
    filing_approve(users["civil_heping"], filing, today=dt.date(2026, 5, 6))
    check = OnSiteCheck.objects.get(filing=filing)
    with pytest.raises(PermissionDenied):
        onsite_check_record(users["civil_hexi"], check, OnSiteCheckResult.CONSISTENT, "", dt.date(2026, 5, 8))
    onsite_check_record(users["civil_heping"], check, OnSiteCheckResult.CONSISTENT, "一致", dt.date(2026, 5, 8))
    check.refresh_from_db()
    assert check.status == OnSiteCheckStatus.COMPLETED and check.checked_by == users["civil_heping"]
    with pytest.raises(ValidationError, match="已记录"):
        onsite_check_record(users["civil_heping"], check, OnSiteCheckResult.HAZARD, "", dt.date(2026, 5, 9))


# ----------------------------------------------------------------------------------------------- receipt PDF


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_receipt_pdf_is_in_chinese(users, media):
    filing = submitted_filing(account(users, HEPING))
    filing_approve(users["civil_heping"], filing)
    filing = Filing.objects.select_related("institution", "review_department", "pledge").get(pk=filing.pk)
    data = filing_receipt_pdf(filing)
    assert data.startswith(b"%PDF")
    text = re.sub(r"\s+", "", pdf_text(data))
    for expected in ("养老机构备案回执", filing.name, filing.institution.uscc, filing.number, "和平区民政局",
                     "建筑", "消防", "赵志强"):
        assert expected in text, expected


def test_no_receipt_before_approval(users, media):
    filing = submitted_filing(account(users, HEPING))
    with pytest.raises(ValueError):
        filing_receipt_pdf(filing)


# ----------------------------------------------------------------------------------------------- a real race


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real row-lock race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_racing_get_one_receipt(users, media, rebuild_demo_after):
    """Two reviewers approve the same filing at the same moment, each on a connection of its own. A third
    connection holds the filing's row until both approvals are provably waiting on it (pg_stat_activity), so the
    race happens every run rather than when the threads happen to overlap."""
    from django.db import close_old_connections

    from agencies.models import OutboxMessage
    from tests.faults import raw_connection

    filing = submitted_filing(account(users, HEPING))
    reviewers = [users["civil_heping"], users["civil_city"]]
    outcomes = []

    def approve(user):
        try:
            filing_approve(user, filing, below_fire_standard=True)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            close_old_connections()

    holder, watcher = raw_connection(), raw_connection()
    watcher.autocommit = True
    threads = [threading.Thread(target=approve, args=(user,)) for user in reviewers]
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM institutions_filing WHERE id = %s FOR UPDATE", [filing.pk])
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while True:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND query ILIKE %s", ["%institutions_filing%"])
                if cursor.fetchone()[0] == 2:
                    break
            assert time.monotonic() < deadline, "both approvals should be waiting on the filing's row"
            time.sleep(0.05)
    finally:
        holder.rollback()  # both go at once
        holder.close()
        watcher.close()
    for t in threads:
        t.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    filing.refresh_from_db()
    # The service's race message, naming the winner's receipt.
    assert loser.startswith("该备案已于") and f"（回执编号 {filing.number}）" in loser, loser
    assert Filing.objects.filter(number__startswith="津民养备〔").count() == 1
    assert AuditEvent.objects.filter(verb="filing.approve", object_id=str(filing.pk)).count() == 1
    assert OnSiteCheck.objects.filter(filing=filing).count() == 1
    assert OutboxMessage.objects.filter(task__endswith="notify_filing_below_standard", args=[filing.pk]).count() == 1
