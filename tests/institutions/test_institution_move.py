"""An institution's region and facts decide who sees its records; when they change, its records follow.

institution_update() is the write path; sync_institution_records (eager here) rewrites the copied columns that
restrict() and has_perm() read. The real-worker variant is test_celery_worker.py.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from agencies.choices import StaffRole
from agencies.models import AuditEvent, Department, Region
from agencies.services import staff_create
from inspections.models import Finding
from institutions.models import Institution
from institutions.services import institution_update
from institutions.tasks import regulated_record_models, sync_institution_records, sync_records

pytestmark = pytest.mark.django_db

HEPING, HEXI = "120101", "120103"


@pytest.fixture
def yiyang():
    """和平区颐养院: in 和平区, not medical-insurance designated, a finding in every domain."""
    return Institution.objects.get(name="天津市和平区颐养院")


@pytest.fixture
def fire_hexi():
    department = Department.objects.get(name="河西区消防救援支队")
    return staff_create("fire_hexi_test", "a-long-test-password-1", department, StaffRole.STAFF, "河西区消防 测试")


def visible(user, institution, domain_code):
    return set(Finding.objects.restrict(user, "view")
               .filter(institution=institution, domain__code=domain_code).values_list("pk", flat=True))


def findings_of(institution, domain_code):
    return list(Finding.objects.filter(institution=institution, domain__code=domain_code))


def stale_counts(institution) -> dict:
    """Per regulated table, the institution's records whose copied columns differ from the institution's."""
    institution.refresh_from_db()
    counts = {}
    for model in regulated_record_models():
        rows = model._base_manager.filter(institution=institution)
        counts[model._meta.label_lower] = rows.exclude(
            region_code=institution.region_code, institution_facts=institution.facts).count()
    return counts


def copied_columns(institution) -> set:
    """(region_code, institution_facts) over every regulated record of the institution, whatever its table."""
    return {pair for model in regulated_record_models()
            for pair in model._base_manager.filter(institution=institution)
            .values_list("region_code", "institution_facts")}


def expected_progress(counts: dict, batch_size: int) -> list:
    """The (done, total) reports of a run: batches restart with each table, `done` runs on across them."""
    total, done, reports = sum(counts.values()), 0, []
    for label in sorted(counts):
        left = counts[label]
        while left:
            step = min(batch_size, left)
            done, left = done + step, left - step
            reports.append((done, total))
    return reports


def audit_rows(institution):
    """What institution_update wrote (credit's own grading rows, written when the demo was built, aside)."""
    return AuditEvent.objects.filter(object_type="institutions.institution", object_id=str(institution.pk),
                                     verb__startswith="institution.").exclude(verb="institution.credit_status")


def test_move_to_hexi_hands_fire_findings_to_hexi_fire_department(
        users, yiyang, fire_hexi, django_capture_on_commit_callbacks):
    fire_heping = users["fire_heping"]
    fire = findings_of(yiyang, "fire_safety")
    assert fire, "the demo city gives every 和平区 institution a fire-safety finding"
    ids = {f.pk for f in fire}
    assert visible(fire_heping, yiyang, "fire_safety") == ids
    assert visible(fire_hexi, yiyang, "fire_safety") == set()
    assert all(fire_heping.has_perm("inspections.view_finding", f) for f in fire)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        institution_update(actor=users["civil_city"], institution_id=yiyang.pk, region=Region.objects.get(code=HEXI))
    assert len(callbacks) == 2  # the follow-up owed once: its outbox delivery, then (eager) the job it starts

    moved = findings_of(yiyang, "fire_safety")
    assert {f.region_code for f in moved} == {HEXI}
    assert visible(fire_heping, yiyang, "fire_safety") == set()
    assert not any(fire_heping.has_perm("inspections.view_finding", f) for f in moved)
    assert visible(fire_hexi, yiyang, "fire_safety") == ids
    assert all(fire_hexi.has_perm("inspections.view_finding", f) for f in moved)
    # The institution itself moved with them.
    assert not Institution.objects.restrict(fire_heping, "view").filter(pk=yiyang.pk).exists()
    assert Institution.objects.restrict(fire_hexi, "view").filter(pk=yiyang.pk).exists()

    audit = audit_rows(yiyang).get(verb="institution.update")
    heping_id, hexi_id = Region.objects.get(code=HEPING).pk, Region.objects.get(code=HEXI).pk
    assert audit.before == {"region": heping_id, "region_code": HEPING}
    assert audit.after == {"region": hexi_id, "region_code": HEXI}
    assert audit.actor == users["civil_city"]
    assert audit.department.name == "天津市民政局"


def test_medical_insurance_designation_opens_and_closes_medins_view(users, yiyang, django_capture_on_commit_callbacks):
    medins = users["medins_city"]
    ids = {f.pk for f in findings_of(yiyang, "medical_insurance")}
    assert ids and not yiyang.medical_insurance_designated
    assert visible(medins, yiyang, "medical_insurance") == set()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        institution_update(actor=users["civil_city"], institution_id=yiyang.pk, medical_insurance_designated=True)
    assert len(callbacks) == 2  # the follow-up job's outbox delivery, and the job it starts
    assert visible(medins, yiyang, "medical_insurance") == ids
    assert all(medins.has_perm("inspections.view_finding", f) for f in findings_of(yiyang, "medical_insurance"))
    # Its other domains stay outside 医保's competence.
    assert visible(medins, yiyang, "fire_safety") == set()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        institution_update(actor=users["civil_city"], institution_id=yiyang.pk, medical_insurance_designated=False)
    assert len(callbacks) == 2
    assert visible(medins, yiyang, "medical_insurance") == set()
    assert not any(medins.has_perm("inspections.view_finding", f) for f in findings_of(yiyang, "medical_insurance"))

    on, off = audit_rows(yiyang).filter(verb="institution.update").order_by("id")
    assert on.before["medical_insurance_designated"] is False and on.after["medical_insurance_designated"] is True
    assert on.after["facts"] == off.before["facts"] != on.before["facts"] == off.after["facts"]


def test_task_updates_only_differing_rows_and_nothing_the_second_time(
        users, yiyang, django_capture_on_commit_callbacks):
    # Queue nothing (execute=False) so that the records are left stale for the task run by hand below.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        institution_update(actor=users["civil_city"], institution_id=yiyang.pk, region=Region.objects.get(code=HEXI),
                           provides_meals=True)
    assert len(callbacks) == 1
    yiyang.refresh_from_db()
    findings = Finding.objects.filter(institution=yiyang)
    assert findings.count() > 2 and not findings.filter(region_code=HEXI).exists()
    # Two rows already right: the task must leave them alone and count only the others.
    already = list(findings.order_by("pk").values_list("pk", flat=True)[:2])
    Finding.objects.filter(pk__in=already).update(region_code=yiyang.region_code, institution_facts=yiyang.facts)
    stale = stale_counts(yiyang)
    assert stale["inspections.finding"] == findings.count() - 2

    first = sync_institution_records.apply(args=(yiyang.pk,), kwargs={"batch_size": 3}).get()
    assert first["models"] == stale
    assert first["updated"] == first["total"] == sum(stale.values())
    assert first["region_code"] == HEXI and first["facts"] == yiyang.facts
    assert copied_columns(yiyang) == {(HEXI, yiyang.facts)}

    second = sync_institution_records.apply(args=(yiyang.pk,)).get()
    assert second["updated"] == 0 and second["total"] == 0

    # Other institutions' records were not touched.
    neighbour = Institution.objects.get(name="天津市和平区康乐养老院")
    assert copied_columns(neighbour) == {(HEPING, neighbour.facts)}


def test_progress_is_reported_per_batch(users, yiyang):
    yiyang.region = Region.objects.get(code=HEXI)
    yiyang.save()  # the model alone, so nothing syncs and every record is stale
    stale = stale_counts(yiyang)
    assert stale["inspections.finding"] > 4
    progress = []
    summary = sync_records(yiyang.pk, batch_size=4, on_progress=lambda done, total: progress.append((done, total)))
    assert summary["updated"] == sum(stale.values())
    assert progress == expected_progress({k: v for k, v in stale.items() if v}, 4)


def test_every_regulated_table_is_discovered():
    models = regulated_record_models()
    assert Finding in models
    assert all(not m._meta.abstract and not m._meta.proxy for m in models)


def test_unknown_field_is_refused_by_name(users, yiyang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ValidationError) as unknown:
            institution_update(actor=users["civil_city"], institution_id=yiyang.pk, name="新名称", colour="red")
        with pytest.raises(ValidationError) as computed:
            institution_update(actor=users["civil_city"], institution_id=yiyang.pk, facts=0)
    assert set(unknown.value.message_dict) == {"colour"}
    assert "colour" in unknown.value.message_dict["colour"][0]
    assert set(computed.value.message_dict) == {"facts"}
    assert callbacks == []
    assert not audit_rows(yiyang).exists()
    yiyang.refresh_from_db()
    assert yiyang.name == "天津市和平区颐养院"


def test_invalid_values_are_refused_before_anything_is_written(users, yiyang, django_capture_on_commit_callbacks):
    other = Institution.objects.get(name="天津市河西区颐养院")
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ValidationError) as duplicate:
            institution_update(actor=users["civil_city"], institution_id=yiyang.pk, uscc=other.uscc,
                               has_special_equipment=False)
        with pytest.raises(ValidationError) as city:
            institution_update(actor=users["civil_city"], institution_id=yiyang.pk,
                               region=Region.objects.get(code="120000"))
        with pytest.raises(ValidationError) as beds:
            institution_update(actor=users["civil_city"], institution_id=yiyang.pk, beds="many")
    assert "uscc" in duplicate.value.message_dict
    assert "region" in city.value.message_dict
    assert "beds" in beds.value.message_dict
    assert callbacks == []
    assert not audit_rows(yiyang).exists()


def test_a_failure_in_the_transaction_leaves_no_audit_row_and_queues_nothing(
        users, yiyang, django_capture_on_commit_callbacks):
    findings_before = set(Finding.objects.filter(institution=yiyang).values_list("pk", "region_code"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            # A caller composing services (a filing review …) fails after the update, inside one transaction.
            with transaction.atomic():
                institution_update(actor=users["civil_city"], institution_id=yiyang.pk,
                                   region=Region.objects.get(code=HEXI))
                assert audit_rows(yiyang).exists()  # written, and about to be rolled back
                raise RuntimeError("later step failed")
    assert callbacks == []
    assert not audit_rows(yiyang).exists()
    yiyang.refresh_from_db()
    assert yiyang.region_code == HEPING
    assert set(Finding.objects.filter(institution=yiyang).values_list("pk", "region_code")) == findings_before


def test_other_fields_are_audited_without_queueing_a_sync(users, yiyang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        same = institution_update(actor=users["civil_city"], institution_id=yiyang.pk, name=yiyang.name,
                                  beds=yiyang.beds, building_area=str(yiyang.building_area))
        assert not audit_rows(yiyang).exists()  # nothing changed, nothing written
        changed = institution_update(actor=users["civil_heping"], institution_id=yiyang.pk, beds=yiyang.beds + 10,
                                     address="天津市和平区新址路1号")
    assert same.beds == yiyang.beds
    assert callbacks == []
    assert changed.beds == yiyang.beds + 10
    audit = audit_rows(yiyang).get()
    assert audit.before == {"beds": yiyang.beds, "address": yiyang.address}
    assert audit.after == {"beds": yiyang.beds + 10, "address": "天津市和平区新址路1号"}
    assert audit.department.name == "和平区民政局"


def test_a_move_is_followed_by_a_background_job_its_actor_can_watch(users, yiyang, client,
                                                                    django_capture_on_commit_callbacks):
    from agencies.models import BackgroundJob

    with django_capture_on_commit_callbacks(execute=True):
        institution_update(actor=users["civil_city"], institution_id=yiyang.pk, region=Region.objects.get(code=HEXI))
    job = BackgroundJob.objects.get(kind="institutions.follow")
    stale_before = Finding.objects.filter(institution=yiyang).count()
    assert job.owner == users["civil_city"] and job.state == "done"
    assert job.done == job.total >= stale_before > 0
    assert copied_columns(yiyang) == {(HEXI, Institution.objects.get(pk=yiyang.pk).facts)}
    client.force_login(users["civil_city"])
    assert "已同步" in client.get(f"/jobs/{job.pk}/").content.decode()
    client.force_login(users["civil_heping"])
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
