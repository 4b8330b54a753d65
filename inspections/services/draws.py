"""The verifiable draw (双随机) of a published plan: commit, then execute.

`draw_commit` gathers the inputs from the database (the plan's candidates with their risk weights, the active
inspectors of the lead and participating departments, declared conflicts, the pairs of the plan's previous
draw), stores their canonical bytes and a fresh secret seed, and publishes the commitment. `draw_execute`
reveals the seed, runs `inspections.draw.run_draw` on the stored bytes — not on the database as it is now, so
a roster edited in between cannot change the result — and stores the result and one assignment per drawn
institution. Both are atomic, row-locked, checked against `DRAW_TRANSITIONS` and audited; the seed appears
in no audit row before it is revealed.

Timing (measured on the 2-core build machine): run_draw over 5,000 candidates drawing 1,000, with 300
inspectors, takes about 0.3 s, and all 64 institutions of the demo city 0.01 s; a province's commit and execute
(45,000 candidates, 9,000 drawn, 1,005 inspectors) 2–3 s at load 4 — so the draw runs inside the request, not in
Celery.
"""

import json
import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.audit import audit_record
from agencies.choices import StaffRole
from institutions.models import Institution

from .. import draw as algorithm
from ..choices import DRAW_TRANSITIONS, DrawState, PlanState
from ..models import ChecklistItem, Draw, DrawAssignment, Inspection, InspectionPlan, Inspector, InspectorConflict
from ..selectors import eligible_inspectors, plan_candidate_rows
from ..signals import draw_executed
from .catalog import _require_civil_affairs

DEFAULT_TEAM_SIZE = 2


def plan_departments(plan: InspectionPlan) -> list:
    """The lead department and the participating ones: whose inspectors the draw may pick."""
    departments = {plan.lead_department_id: plan.lead_department}
    for department in plan.participating_departments.select_related("kind", "region"):
        departments.setdefault(department.pk, department)
    return sorted(departments.values(), key=lambda d: d.pk)


def required_departments(plan: InspectionPlan, departments=None) -> list:
    """Each department of the plan whose kind is responsible for an item of the plan's checklist version:
    every team includes one of its inspectors (seed 002 二(二)3, joint checks)."""
    departments = departments if departments is not None else plan_departments(plan)
    kinds = set(ChecklistItem.objects.filter(version_id=plan.checklist_version_id)
                .values_list("responsible_kind_id", flat=True))
    return [d for d in departments if d.kind_id in kinds]


def default_count(plan: InspectionPlan, candidates: int) -> int:
    """The plan's sampling ratio of the candidates, rounded up: a non-zero ratio draws at least one."""
    return min(candidates, math.ceil(plan.sampling_ratio * candidates))


def previous_pairs(plan: InspectionPlan) -> set[tuple[int, int]]:
    """(inspector, institution) of the plan's last executed draw: nobody inspects the same institution in two
    draws running."""
    last = plan.draws.filter(state=DrawState.EXECUTED).order_by("-number").first()
    if last is None:
        return set()
    through = DrawAssignment.inspectors.through
    return set(through.objects.filter(drawassignment__draw=last)
               .values_list("inspector_id", "drawassignment__institution_id"))


def _check_feasible(candidates, inspectors, conflicts, rules: algorithm.DrawRules, departments: dict):
    """Whatever the seed, every candidate must be able to get a valid team; otherwise refuse to commit, naming
    the institution and the department, instead of publishing a commitment that cannot be executed. (The
    greedy team builder never turns a satisfiable team unsatisfiable, so this check is exact.)"""
    blocked = {}
    for inspector_id, institution_id in conflicts | set(rules.previous_pairs):
        blocked.setdefault(institution_id, set()).add(inspector_id)

    def shortfalls(barred: frozenset) -> tuple:
        """(required departments with nobody eligible, how many are eligible) — the same for every candidate
        with nobody barred, so a province's 50,000 candidates cost one scan, not one each."""
        eligible = [i for i in inspectors if i.id not in barred]
        present = {i.department_id for i in eligible}
        return [d for d in sorted(rules.required_department_ids) if d not in present], len(eligible)

    unbarred = shortfalls(frozenset())
    problems = []  # (institution id, department id or None, eligible count)
    for candidate in candidates:
        barred = blocked.get(candidate.institution_id)
        missing, eligible_count = shortfalls(frozenset(barred)) if barred else unbarred
        problems += [(candidate.institution_id, department_id, eligible_count) for department_id in missing]
        if eligible_count < rules.team_size_min:
            problems.append((candidate.institution_id, None, eligible_count))
        if len(problems) >= 10:
            break  # ten reasons are enough to act on
    if not problems:
        return
    # Names only for the institutions named: the candidates are read as bare ids and weights.
    names = dict(Institution.objects.filter(pk__in={p[0] for p in problems}).values_list("pk", "name"))
    messages = []
    for institution_id, department_id, eligible_count in problems[:10]:
        if department_id is not None:
            messages.append(_("%(institution)s：%(department)s没有可派的检查人员（无人在册，或均已回避、上一轮已检查该机构）")
                            % {"institution": names[institution_id], "department": departments[department_id].name})
        else:
            messages.append(_("%(institution)s：可派检查人员只有%(n)s名，检查组至少需要%(min)s名")
                            % {"institution": names[institution_id], "n": eligible_count,
                               "min": rules.team_size_min})
    raise ValidationError({"inspectors": messages})


def draw_inputs(plan: InspectionPlan, *, count: int | None = None, team_size_min: int = DEFAULT_TEAM_SIZE,
                uninspected_first: bool = False) -> bytes:
    """The canonical input bytes a draw of `plan` would commit to now (validated: raises ValidationError)."""
    candidate_rows = plan_candidate_rows(plan)
    if not candidate_rows:
        raise ValidationError({"plan": _("计划范围内没有正常运营的养老机构。")})
    if count is None:
        count = default_count(plan, len(candidate_rows))
    if count < 1:
        raise ValidationError({"count": _("抽取家数至少为1。")})
    if count > len(candidate_rows):
        raise ValidationError({"count": _("抽取家数不能超过计划范围内的机构数（%(n)s家）。")
                               % {"n": len(candidate_rows)}})
    if team_size_min < 2:
        raise ValidationError({"team_size_min": _("检查组至少2名检查人员。")})

    departments = plan_departments(plan)
    # The roster as the draw reads it: ids, departments and domain codes, not a model per inspector with its
    # staff account and domains.
    roster = eligible_inspectors(d.pk for d in departments)
    domains = {}
    for inspector_id, code in Inspector.domains.through.objects.filter(inspector__in=roster.values("pk")) \
            .values_list("inspector_id", "domain__code"):
        domains.setdefault(inspector_id, set()).add(code)
    inspectors = [algorithm.Inspector(pk, department_id, kind, frozenset(domains.get(pk, ())), active, external)
                  for pk, department_id, kind, active, external in roster.values_list(
                      "pk", "department_id", "department__kind__code", "active", "external")]
    candidates = [algorithm.Candidate(*row) for row in candidate_rows]
    institution_ids = {c.institution_id for c in candidates}
    conflicts = {(a, b) for a, b in InspectorConflict.objects.filter(inspector__in=roster.values("pk"))
                 .values_list("inspector_id", "institution_id") if b in institution_ids}
    required = required_departments(plan, departments)
    previous = {(a, b) for a, b in previous_pairs(plan) if b in institution_ids}
    rules = algorithm.DrawRules(count=count, team_size_min=team_size_min,
                                required_department_ids=frozenset(d.pk for d in required),
                                previous_pairs=frozenset(previous), uninspected_first=uninspected_first)
    _check_feasible(candidates, inspectors, conflicts, rules, {d.pk: d for d in departments})
    return algorithm.canonical_input(candidates, inspectors, [algorithm.Conflict(a, b) for a, b in conflicts], rules)


def _draw_state(draw: Draw) -> dict:
    """The audited view of a draw: never the seed while it is secret."""
    state = {"plan": draw.plan_id, "number": draw.number, "state": draw.state, **draw.published_commitment}
    if draw.is_executed:
        state.update(seed=draw.secret_seed, result_hash=draw.result_hash)
    return state


@transaction.atomic
def draw_commit(actor, plan: InspectionPlan, *, count: int | None = None, team_size_min: int = DEFAULT_TEAM_SIZE,
                uninspected_first: bool = False, seed: bytes | None = None) -> Draw:
    """Publishes the commitment of the next draw of a published plan (civil affairs over the plan's region).

    `seed` is for the demo and tests, which need a reproducible draw; pages and the API never pass one, so the
    seed is `secrets.token_bytes(32)`.
    """
    plan = (InspectionPlan.objects.select_for_update().select_related("lead_department__region",
                                                                      "lead_department__kind").get(pk=plan.pk))
    require_draw_operator(actor, plan)
    if plan.state != PlanState.PUBLISHED:
        raise ValidationError({"plan": _("计划发布后才能抽取。")})
    if plan.draws.filter(state=DrawState.COMMITTED).exists():
        raise ValidationError({"state": _("本计划已有一轮公布了承诺但尚未抽取的抽取，请先完成该轮抽取。")})
    input_bytes = draw_inputs(plan, count=count, team_size_min=team_size_min, uninspected_first=uninspected_first)
    seed = seed if seed is not None else algorithm.new_seed()
    try:
        commit = algorithm.commitment(seed, input_bytes)
    except algorithm.DrawInputError as exc:
        raise ValidationError({"seed": str(exc)}) from exc
    number = (plan.draws.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            draw = Draw.objects.create(
                plan=plan, number=number, state=DrawState.COMMITTED, algorithm=commit["algorithm"],
                seed_hash=commit["seed_hash"], input_hash=commit["input_hash"],
                commitment_hash=commit["commitment_hash"], input_json=input_bytes.decode("utf-8"),
                secret_seed=seed.hex(), committed_by=actor if actor.is_authenticated else None,
                committed_at=timezone.now())
    except IntegrityError as exc:  # the same seed on the same inputs: only a caller-chosen seed can do that
        raise ValidationError({"seed": _("该种子与输入的承诺已经存在。")}) from exc
    audit_record(actor, "draw.commit", draw, after=_draw_state(draw))
    return draw


def _transition(draw: Draw, target: str) -> None:
    if target not in DRAW_TRANSITIONS.get(draw.state, ()):
        raise ValidationError({"state": _("抽取不能从“%(from)s”变为“%(to)s”。") % {
            "from": DrawState(draw.state).label, "to": DrawState(target).label}})
    draw.state = target


@transaction.atomic
def draw_execute(actor, draw: Draw) -> Draw:
    """Reveals the seed and runs the committed draw on the committed inputs; stores result and assignments."""
    draw = Draw.objects.select_for_update().select_related("plan__lead_department__region").get(pk=draw.pk)
    require_draw_operator(actor, draw.plan)
    before = _draw_state(draw)
    _transition(draw, DrawState.EXECUTED)
    try:
        result = algorithm.run_committed_draw(bytes.fromhex(draw.secret_seed), draw.input_bytes)
    except (algorithm.DrawInputError, algorithm.DrawError) as exc:
        raise ValidationError({"input_json": _("按承诺的输入无法完成抽取：%s") % exc}) from exc
    if result.commitment != draw.published_commitment:
        # The stored input or seed no longer hashes to what was published: executing would not be verifiable.
        raise ValidationError({"input_json": _("存储的输入或种子与公布的承诺不一致，拒绝抽取。")})
    draw.result_json = result.published_bytes().decode("utf-8")
    draw.result_hash = result.result_hash
    draw.executed_by = actor if actor.is_authenticated else None
    draw.executed_at = timezone.now()
    draw.save(update_fields=["state", "result_json", "result_hash", "executed_by", "executed_at"])

    _write_assignments(draw, result.teams)
    draw.required_departments.set(json.loads(draw.input_json)["rules"]["required_department_ids"])

    audit_record(actor, "draw.execute", draw, before=before, after={**_draw_state(draw),
                                                                    "institutions": len(result.institutions)})
    transaction.on_commit(lambda draw_id=draw.pk: draw_executed.send(sender=Draw, draw_id=draw_id))
    return draw


def _write_assignments(draw: Draw, teams, *, portable: bool = False) -> None:
    """One DrawAssignment per drawn institution (`position` from 1, in drawn order) and its team — as rows, not
    model instances: a province's 9,000 assignments and 45,000 team members through `bulk_create` cost seconds
    of instance building alone. PostgreSQL takes them in one statement from arrays; other databases (the
    SQLite of development) row by row."""
    assignment_table = DrawAssignment._meta.db_table
    team_table = DrawAssignment.inspectors.through._meta.db_table
    positions = list(range(1, len(teams) + 1))
    institution_ids = [institution_id for institution_id, _team in teams]
    team_positions = [position for position, (_i, team) in zip(positions, teams, strict=True) for _ in team]
    inspector_ids = [inspector_id for _i, team in teams for inspector_id in team]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not portable:
            cursor.execute(f"""
                WITH assignment AS (
                    INSERT INTO {assignment_table} (draw_id, position, institution_id)
                    SELECT %s, position, institution_id FROM unnest(%s::integer[], %s::bigint[])
                        AS drawn (position, institution_id)
                    RETURNING id, position
                )
                INSERT INTO {team_table} (drawassignment_id, inspector_id)
                SELECT assignment.id, member.inspector_id
                FROM unnest(%s::integer[], %s::bigint[]) AS member (position, inspector_id)
                JOIN assignment USING (position)
                """, [draw.pk, positions, institution_ids, team_positions, inspector_ids])
            return
        cursor.executemany(f"INSERT INTO {assignment_table} (draw_id, position, institution_id) VALUES (%s, %s, %s)",
                           [(draw.pk, p, i) for p, i in zip(positions, institution_ids, strict=True)])
        assignment_of = dict(DrawAssignment.objects.filter(draw=draw).values_list("position", "pk"))
        cursor.executemany(f"INSERT INTO {team_table} (drawassignment_id, inspector_id) VALUES (%s, %s)",
                           [(assignment_of[p], i) for p, i in zip(team_positions, inspector_ids, strict=True)])


def require_draw_operator(actor, plan: InspectionPlan) -> None:
    """Civil-affairs staff over the plan's region commit and execute its draws. Not its inspectors — the draw
    picks them, so they must not run it — and not leaders, who only read."""
    _require_civil_affairs(actor, over=plan.lead_department)
    profile = getattr(actor, "staff_profile", None)
    if not actor.is_superuser and profile is not None and profile.role not in (StaffRole.STAFF, StaffRole.ADMIN):
        raise PermissionDenied(_("执法检查人员和领导不能主持抽取。"))


def may_operate(actor, plan: InspectionPlan) -> bool:
    try:
        require_draw_operator(actor, plan)
    except PermissionDenied:
        return False
    return True




# Drawn institutions are inspected after the notice period: the team gets 3 working days' notice
# (行政检查办法) plus a week to arrange the visit.
DRAWN_INSPECTION_WORKING_DAYS = 8


def inspections_schedule_from_draw(draw_id: int, progress=None) -> list[int]:
    """One planned inspection per drawn institution of an executed draw, with the drawn team (idempotent).

    Runs after the draw's commit (the `draw_executed` signal, through a Celery task), as the person who executed
    it. Each assignment is its own transaction: an assignment whose team no longer fits (an inspector left the
    roster since) is logged and left for civil affairs to schedule by hand, without undoing the others.
    `progress(done, total)` is told after each assignment (a background job's reporter).
    """
    import logging

    from agencies.calendar import add_working_days

    from ..choices import InspectionKind
    from .inspections import inspection_create

    draw = Draw.objects.select_related("plan__lead_department", "executed_by").get(pk=draw_id)
    if draw.state != DrawState.EXECUTED:
        return []
    required = {d.pk for d in draw.required_departments.all()}
    scheduled_for = add_working_days(timezone.localdate(draw.executed_at), DRAWN_INSPECTION_WORKING_DAYS)
    created = []
    assignments = list(draw.assignments.filter(inspection__isnull=True).select_related("institution")
                       .prefetch_related("inspectors").order_by("position"))
    for done, assignment in enumerate(assignments):
        if progress:
            progress(done, len(assignments))
        try:
            with transaction.atomic():
                # Lock the assignment: two deliveries of the task must not both create its inspection.
                locked = DrawAssignment.objects.select_for_update().get(pk=assignment.pk)
                if Inspection.objects.filter(assignment=locked).exists():
                    continue
                inspectors = list(assignment.inspectors.all())
                departments = required | {i.department_id for i in inspectors}
                inspection = inspection_create(
                    draw.executed_by, institution=assignment.institution, kind=InspectionKind.PLANNED,
                    lead_department=draw.plan.lead_department, departments=sorted(departments),
                    inspector_ids=[i.pk for i in inspectors], scheduled_for=scheduled_for, plan=draw.plan,
                    origin=_("双随机抽取：%(draw)s 第%(position)s位") % {"draw": draw, "position": assignment.position})
                inspection.assignment = locked
                inspection.save(update_fields=["assignment"])
                created.append(inspection.pk)
        except (ValidationError, PermissionDenied) as exc:
            logging.getLogger(__name__).warning("draw %s position %s not scheduled: %s", draw.pk,
                                                assignment.position, exc)
    if progress:
        progress(len(assignments), len(assignments))
    return created


def draws_with_unscheduled_assignments() -> list[int]:
    """Executed draws some of whose drawn institutions have no inspection yet (the sweeper's work list)."""
    return list(Draw.objects.filter(state=DrawState.EXECUTED, assignments__inspection__isnull=True)
                .values_list("pk", flat=True).distinct().order_by("pk"))
