"""The stored, verifiable draw: draw_commit → draw_execute through the services, verify_draw on what is stored."""

import hashlib
import json
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from agencies.models import AuditEvent, Department
from inspections import draw as algorithm
from inspections.choices import DrawState
from inspections.demo import DEMO_SEED, PLAN_TITLE
from inspections.models import Draw, DrawAssignment, InspectionPlan, Inspector
from inspections.selectors import verify_stored_draw
from inspections.services import (
    conflict_declare,
    draw_commit,
    draw_execute,
    inspector_deactivate,
    plan_create,
    plan_publish,
)
from inspections.signals import draw_executed
from institutions.models import Institution

pytestmark = pytest.mark.django_db

HEPING = "120101"


def heping(kind):
    return Department.objects.get(kind__code=kind, region__code=HEPING)


@pytest.fixture
def plan(users):
    """A published 和平区 plan with the demo's participating departments (the demo roster staffs them)."""
    created = plan_create(users["civil_heping"], year=2026, title="测试专项抽查",
                          participating_departments=[heping("fire_rescue"), heping("market_regulation"),
                                                     heping("health")], sampling_ratio=Decimal("0.5"))
    return plan_publish(users["civil_heping"], created)


@pytest.fixture
def demo_draw():
    return Draw.objects.get(plan__title=PLAN_TITLE, number=1)


def test_the_demo_draw_reproduces_byte_for_byte_from_what_is_stored(demo_draw):
    assert demo_draw.state == DrawState.EXECUTED and bytes.fromhex(demo_draw.secret_seed) == DEMO_SEED
    inputs = algorithm.inputs_from_canonical(demo_draw.input_bytes)
    # The stored bytes are canonical: decoding and re-encoding them changes nothing.
    assert algorithm.canonical_input(*inputs) == demo_draw.input_bytes
    assert hashlib.sha256(demo_draw.input_bytes).hexdigest() == demo_draw.input_hash
    rerun = algorithm.run_draw(DEMO_SEED, *inputs)
    assert rerun.published_bytes() == demo_draw.result_json.encode()
    assert rerun.result_hash == demo_draw.result_hash
    assert rerun.commitment == demo_draw.published_commitment
    report = verify_stored_draw(demo_draw)
    assert report.ok is True and report.result_hash == demo_draw.result_hash


def test_commit_then_execute(users, plan, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, draw_id, **kwargs):
        received.append(draw_id)

    draw_executed.connect(receiver)
    try:
        draw = draw_commit(users["civil_heping"], plan)
        assert draw.state == DrawState.COMMITTED and draw.number == 1 and not draw.result_json
        assert draw.revealed_seed is None
        doc = json.loads(draw.input_json)
        assert doc["rules"]["count"] == 2  # ceil(0.5 × 4 operating institutions)
        required = {heping(k).pk for k in ("civil_affairs", "fire_rescue", "market_regulation", "health")}
        assert set(doc["rules"]["required_department_ids"]) == required
        assert {c["institution_id"] for c in doc["candidates"]} == set(
            Institution.objects.filter(region_code__startswith=HEPING, status="operating").values_list("pk", flat=True))
        commit_audit = AuditEvent.objects.get(verb="draw.commit", object_id=str(draw.pk))
        assert draw.secret_seed not in json.dumps(commit_audit.after)
        assert commit_audit.after["commitment_hash"] == draw.commitment_hash

        with django_capture_on_commit_callbacks(execute=True):
            draw = draw_execute(users["civil_heping"], draw)
        assert received == [draw.pk]
    finally:
        draw_executed.disconnect(receiver)
    assert draw.state == DrawState.EXECUTED and draw.revealed_seed == draw.secret_seed
    assert verify_stored_draw(draw).ok is True
    result = json.loads(draw.result_json)
    assignments = list(draw.assignments.prefetch_related("inspectors"))
    assert [a.institution_id for a in assignments] == result["institutions"]
    for assignment in assignments:
        team = list(assignment.inspectors.all())
        assert len(team) >= 2 and {i.department_id for i in team} >= required
    assert {d.pk for d in draw.required_departments.all()} == required
    execute_audit = AuditEvent.objects.get(verb="draw.execute", object_id=str(draw.pk))
    assert execute_audit.after["seed"] == draw.secret_seed and execute_audit.before["state"] == "committed"


def _stored_assignments(draw):
    return [(a.position, a.institution_id, tuple(sorted(i.pk for i in a.inspectors.all())))
            for a in draw.assignments.prefetch_related("inspectors").order_by("position")]


@pytest.mark.parametrize("portable", [False, True], ids=["one statement", "row by row"])
def test_the_stored_assignments_are_the_published_result(users, plan, portable):
    # Both ways of writing them (PostgreSQL's arrays, other databases' rows) store exactly the result's teams.
    from inspections.services.draws import _write_assignments

    draw = draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], plan, seed=bytes(range(32))))
    result = json.loads(draw.result_json)
    expected = [(n, team["institution_id"], tuple(team["inspector_ids"]))
                for n, team in enumerate(result["teams"], start=1)]
    assert len(expected) == 2 and all(len(team) >= 2 for _n, _i, team in expected)
    if portable:
        draw.assignments.all().delete()
        _write_assignments(draw, [(t["institution_id"], t["inspector_ids"]) for t in result["teams"]], portable=True)
    assert _stored_assignments(draw) == expected
    assert sorted(d.pk for d in draw.required_departments.all()) == json.loads(draw.input_json)["rules"][
        "required_department_ids"]


def test_execute_twice_gives_one_result_and_a_clear_error(users, plan):
    draw = draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], plan))
    first = (draw.result_json, draw.result_hash, draw.executed_at)
    with pytest.raises(ValidationError) as exc:
        draw_execute(users["civil_heping"], draw)
    assert "state" in exc.value.message_dict and "已抽取" in exc.value.message_dict["state"][0]
    draw.refresh_from_db()
    assert (draw.result_json, draw.result_hash, draw.executed_at) == first
    assert draw.assignments.count() == 2
    assert AuditEvent.objects.filter(verb="draw.execute", object_id=str(draw.pk)).count() == 1


def test_steps_cannot_be_skipped(users, plan):
    draft = plan_create(users["civil_heping"], year=2026, title="未发布的计划")
    with pytest.raises(ValidationError) as exc:
        draw_commit(users["civil_heping"], draft)
    assert "plan" in exc.value.message_dict
    draw_commit(users["civil_heping"], plan)
    with pytest.raises(ValidationError) as exc:  # a second commitment before the first is executed
        draw_commit(users["civil_heping"], plan)
    assert "state" in exc.value.message_dict
    assert plan.draws.count() == 1


def test_only_civil_affairs_over_the_region_commits_and_executes(users, plan):
    for username in ("fire_heping", "civil_hexi", "inspector_1", "leader_heping", "inst_1"):
        with pytest.raises(PermissionDenied):
            draw_commit(users[username], plan)
    draw = draw_commit(users["civil_city"], plan)  # the city bureau covers 和平区
    for username in ("fire_heping", "civil_hexi", "market_heping"):
        with pytest.raises(PermissionDenied):
            draw_execute(users[username], draw)
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED
    assert draw_execute(users["civil_heping"], draw).state == DrawState.EXECUTED


def test_bad_counts_name_the_field(users, plan):
    for count in (0, 5):
        with pytest.raises(ValidationError) as exc:
            draw_commit(users["civil_heping"], plan, count=count)
        assert "count" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        draw_commit(users["civil_heping"], plan, team_size_min=1)
    assert "team_size_min" in exc.value.message_dict


def test_not_the_same_inspector_at_the_same_institution_two_draws_running(users, plan):
    first = draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], plan, count=4))
    pairs = {(i.pk, a.institution_id) for a in first.assignments.all() for i in a.inspectors.all()}
    second = draw_commit(users["civil_heping"], plan, count=4)
    assert {tuple(p) for p in json.loads(second.input_json)["rules"]["previous_pairs"]} == pairs
    second = draw_execute(users["civil_heping"], second)
    again = {(i.pk, a.institution_id) for a in second.assignments.all() for i in a.inspectors.all()}
    assert len(again) == len(pairs) == 4 * 4 and not pairs & again


def test_conflicts_are_respected_and_an_impossible_team_refuses_the_commit(users, plan):
    institution = Institution.objects.filter(region_code=HEPING).order_by("pk").first()
    health = list(Inspector.objects.filter(department=heping("health"), active=True))
    assert len(health) == 2
    conflict_declare(users["civil_heping"], health[0], institution, "亲属在该机构任职")
    draw = draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], plan, count=4))
    team = draw.assignments.get(institution=institution).inspectors.all()
    assert health[0] not in team and health[1] in team

    second_plan = plan_publish(users["civil_heping"], plan_create(
        users["civil_heping"], year=2026, title="卫健人员不足", participating_departments=[heping("health")]))
    inspector_deactivate(users["civil_heping"], health[1])
    with pytest.raises(ValidationError) as exc:
        draw_commit(users["civil_heping"], second_plan, count=1)
    assert "inspectors" in exc.value.message_dict
    assert institution.name in " ".join(exc.value.message_dict["inspectors"])
    assert not second_plan.draws.exists()


def test_execute_uses_the_committed_inputs_not_todays_roster(users, plan):
    draw = draw_commit(users["civil_heping"], plan, count=4, seed=b"\x01" * 32)
    expected = algorithm.run_draw(b"\x01" * 32, *algorithm.inputs_from_canonical(draw.input_bytes))
    inspector_deactivate(users["civil_heping"], Inspector.objects.filter(department=heping("fire_rescue")).first())
    draw = draw_execute(users["civil_heping"], draw)
    assert draw.result_json.encode() == expected.published_bytes()


def test_a_stored_input_changed_after_the_commitment_fails_execution(users, plan):
    draw = draw_commit(users["civil_heping"], plan)
    doc = json.loads(draw.input_json)
    doc["candidates"][0]["weight"] = "9.000000"
    Draw.objects.filter(pk=draw.pk).update(input_json=algorithm._canonical_json(doc).decode())
    with pytest.raises(ValidationError) as exc:
        draw_execute(users["civil_heping"], draw)
    assert "input_json" in exc.value.message_dict
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED


# ---------------------------------------------------------------------------------- manage.py verify_draw


def test_verify_draw_command_ok(demo_draw, capsys):
    call_command("verify_draw", str(demo_draw.pk))
    out = capsys.readouterr().out
    assert f"OK: draw {demo_draw.pk} reproduces result {demo_draw.result_hash}" in out
    assert demo_draw.commitment_hash in out and demo_draw.input_hash in out


@pytest.mark.parametrize("tamper", ["weight", "reencoded", "seed", "result", "assignment"])
def test_verify_draw_command_fails_on_any_change(demo_draw, capsys, tamper):
    if tamper == "weight":
        doc = json.loads(demo_draw.input_json)
        doc["candidates"][-1]["weight"] = "3.000000"
        Draw.objects.filter(pk=demo_draw.pk).update(input_json=algorithm._canonical_json(doc).decode())
    elif tamper == "reencoded":  # the same content, other bytes: the published input hash no longer matches
        Draw.objects.filter(pk=demo_draw.pk).update(input_json=json.dumps(json.loads(demo_draw.input_json), indent=1))
    elif tamper == "seed":
        Draw.objects.filter(pk=demo_draw.pk).update(secret_seed="00" * 32)
    elif tamper == "result":
        result = json.loads(demo_draw.result_json)
        result["institutions"].reverse()
        Draw.objects.filter(pk=demo_draw.pk).update(result_json=json.dumps(result))
    else:
        assignment = demo_draw.assignments.order_by("position").first()
        outsider = Inspector.objects.exclude(draw_assignments=assignment).first()
        assignment.inspectors.remove(assignment.inspectors.first())
        assignment.inspectors.add(outsider)
    with pytest.raises(CommandError) as exc:
        call_command("verify_draw", str(demo_draw.pk))
    assert exc.value.returncode == 1 and "MISMATCH" in str(exc.value)
    assert "DIFFERS" in capsys.readouterr().err


def test_verify_draw_command_on_a_committed_draw_and_a_missing_one(users, plan):
    draw = draw_commit(users["civil_heping"], plan)
    with pytest.raises(CommandError) as exc:
        call_command("verify_draw", str(draw.pk))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError):
        call_command("verify_draw", "999999")


def test_the_demo_is_idempotent(demo_draw):
    from inspections.demo import build_draw_demo

    before = (Draw.objects.count(), DrawAssignment.objects.count(), Inspector.objects.count(),
              InspectionPlan.objects.count())
    assert build_draw_demo() == {"plan": demo_draw.plan_id, "draw": demo_draw.pk}
    assert (Draw.objects.count(), DrawAssignment.objects.count(), Inspector.objects.count(),
            InspectionPlan.objects.count()) == before


# ----------------------------------------------------------------------------------------------- a real race


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real row-lock race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_racing_commits_and_executions_give_one_draw_and_one_result(users, plan, rebuild_demo_after):
    from django.db import close_old_connections

    def race(call):
        barrier = threading.Barrier(2)
        outcomes = []

        def run(username):
            try:
                barrier.wait()
                call(users[username])
                outcomes.append("ok")
            except ValidationError as exc:
                outcomes.append(" ".join(exc.messages))
            finally:
                close_old_connections()

        threads = [threading.Thread(target=run, args=(name,)) for name in ("civil_heping", "civil_city")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcomes

    outcomes = race(lambda actor: draw_commit(actor, plan))
    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    draw = plan.draws.get()
    outcomes = race(lambda actor: draw_execute(actor, draw))
    assert outcomes.count("ok") == 1 and any("抽取不能从" in o for o in outcomes), outcomes
    assert AuditEvent.objects.filter(verb="draw.execute", object_id=str(draw.pk)).count() == 1
    assert verify_stored_draw(Draw.objects.get(pk=draw.pk)).ok is True


# ------------------------------------------------------------------------- drawn institutions become inspections


def test_each_drawn_institution_gets_one_planned_inspection_with_its_drawn_team(demo_draw):
    """The demo draw was executed when the demo city was built: the draw_executed signal scheduled its inspections."""
    from django.utils import timezone

    from agencies.calendar import add_working_days
    from inspections.choices import InspectionKind, InspectionState
    from inspections.models import Inspection

    assignments = list(demo_draw.assignments.prefetch_related("inspectors").order_by("position"))
    assert assignments
    for assignment in assignments:
        inspection = Inspection.objects.get(assignment=assignment)
        assert inspection.kind == InspectionKind.PLANNED and inspection.plan_id == demo_draw.plan_id
        assert inspection.institution_id == assignment.institution_id
        assert inspection.state == InspectionState.SCHEDULED
        assert set(inspection.inspectors.values_list("pk", flat=True)) == {i.pk for i in assignment.inspectors.all()}
        assert inspection.scheduled_for == add_working_days(timezone.localdate(demo_draw.executed_at), 8)
        assert inspection.notice_due is not None and inspection.notice_due < inspection.scheduled_for


def test_scheduling_a_draw_again_creates_nothing(demo_draw):
    from inspections.models import Inspection
    from inspections.services.draws import draws_with_unscheduled_assignments, inspections_schedule_from_draw

    before = Inspection.objects.count()
    assert inspections_schedule_from_draw(demo_draw.pk) == []
    assert demo_draw.pk not in draws_with_unscheduled_assignments()
    assert Inspection.objects.count() == before


def test_the_sweep_schedules_a_draw_whose_follow_up_was_lost(users, plan, django_capture_on_commit_callbacks):
    from inspections.models import Inspection
    from inspections.tasks.inspections import schedule_drawn_inspections_sweep

    draw = draw_commit(users["civil_heping"], plan, count=1)
    # The broker was down: the follow-up never ran (on_commit callbacks captured and dropped).
    with django_capture_on_commit_callbacks(execute=False):
        draw = draw_execute(users["civil_heping"], draw)
    assert not Inspection.objects.filter(assignment__draw=draw).exists()
    created = schedule_drawn_inspections_sweep()
    assert Inspection.objects.filter(assignment__draw=draw).count() == draw.assignments.count() == len(created) == 1


def test_the_follow_up_is_a_background_job_of_whoever_executed_the_draw(users, plan, client,
                                                                        django_capture_on_commit_callbacks):
    from agencies.models import BackgroundJob
    from inspections.models import Inspection

    draw = draw_commit(users["civil_heping"], plan, count=2)
    with django_capture_on_commit_callbacks(execute=True):
        draw = draw_execute(users["civil_heping"], draw)
    job = BackgroundJob.objects.filter(kind="inspections.draw_schedule").latest("pk")
    assert job.owner == users["civil_heping"] and job.state == "done"
    assert job.done == job.total == draw.assignments.count() == 2
    assert Inspection.objects.filter(assignment__draw=draw).count() == 2
    client.force_login(users["civil_heping"])
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    from django.urls import reverse

    assert "已为抽中的机构安排 2 次检查" in html and reverse("draw-detail", args=[draw.pk]) in html
