"""Credit evaluation (公共信用综合评价, seed 000 #40) and risk grading (风险分级, seed 000 #13).

`evaluate_institutions(ids)` is the one computation, for one institution (after each event, from a Celery task)
and for all of them (nightly, in chunks with a fixed number of queries per chunk). It writes a CreditEvaluation
when the score, grade or model changed, a RiskAssessment when the level or the reasons changed, and the
institution's `credit_grade`, `risk_level` and `credit_list` (which the inspection draw reads) when they changed.
`compute_evaluation` is pure: events + model version + date → score, grade, lines, so any evaluation can be
recomputed and checked.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.audit import audit_record, audit_records_bulk
from inspections.choices import UNRESOLVED_FINDING_STATES, Severity
from inspections.models import Finding
from institutions.choices import InstitutionStatus
from institutions.models import IncidentReport, Institution

from ..choices import (
    BASE_SCORE,
    CIVIL_AFFAIRS,
    EventKind,
    EventState,
    Grade,
    ListKind,
    ListState,
    RiskLevel,
)
from ..models import CreditEvaluation, CreditEvent, ListEntry, RiskAssessment, ScoringModel
from . import actor_department, domain, today

CHUNK = 1000
CENT = Decimal("0.01")
# Look-back for complaints and incidents in the risk grading: a year (a supervision window, not a deadline).
LOOKBACK_DAYS = 365
LIST_PRECEDENCE = [ListKind.BLACK, ListKind.WATCH, ListKind.RED]


# --------------------------------------------------------------------------------------- scoring models


def current_scoring_model() -> ScoringModel:
    model = ScoringModel.objects.filter(published_at__isnull=False).order_by("-version").first()
    if model is None:
        raise ValidationError(_("尚无已发布的信用评价模型。"))
    return model


def _require_civil_affairs(actor) -> None:
    department = actor_department(actor)
    if not getattr(actor, "is_superuser", False) and (department is None or department.kind.code != CIVIL_AFFAIRS):
        raise PermissionDenied(_("信用评价模型由民政部门制定。"))


def _validate_model(weights, half_life_days, thresholds) -> None:
    errors = {}
    kinds = set(EventKind.values)
    if not isinstance(weights, dict) or set(weights) != kinds or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in weights.values()):
        errors["weights"] = _("须为每类信用事项各给一个分值。")
    if not isinstance(half_life_days, dict) or set(half_life_days) != kinds or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in half_life_days.values()):
        errors["half_life_days"] = _("须为每类信用事项各给一个正整数天数。")
    if not isinstance(thresholds, dict) or set(thresholds) != {"A", "B", "C"} or not all(
            isinstance(v, (int, float)) for v in thresholds.values()) or not (
            thresholds["A"] > thresholds["B"] > thresholds["C"]):
        errors["thresholds"] = _("A、B、C 三条分数线须依次递减。")
    if errors:
        raise ValidationError(errors)


def scoring_model_create(actor, *, weights, half_life_days, thresholds, note="") -> ScoringModel:
    """A new draft version (a published version is never edited)."""
    _require_civil_affairs(actor)
    _validate_model(weights, half_life_days, thresholds)
    with transaction.atomic():
        last = ScoringModel.objects.select_for_update().aggregate(m=Max("version"))["m"] or 0
        model = ScoringModel.objects.create(version=last + 1, weights=weights, half_life_days=half_life_days,
                                            thresholds=thresholds, base_score=BASE_SCORE, note=note,
                                            created_by=actor)
        audit_record(actor, "scoringmodel.create", model, after={"version": model.version})
    return model


def scoring_model_publish(actor, model) -> ScoringModel:
    """Publishing makes it the model every evaluation uses from now on (the nightly run re-grades everyone)."""
    _require_civil_affairs(actor)
    with transaction.atomic():
        model = ScoringModel.objects.select_for_update().get(pk=model.pk)
        if model.published_at is not None:
            raise ValidationError({"published_at": _("该版本已发布。")})
        model.published_at = timezone.now()
        model.save(update_fields=["published_at"])
        audit_record(actor, "scoringmodel.publish", model, after={"version": model.version})
    return model


# ------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EventFacts:
    id: int
    kind: str
    occurred_on: dt.date


def grade_for(score: Decimal, thresholds: dict) -> str:
    for grade in ("A", "B", "C"):
        if score >= Decimal(str(thresholds[grade])):
            return grade
    return Grade.D


def compute_evaluation(events, model: ScoringModel, as_of: dt.date,
                       blacklisted: bool = False) -> tuple[Decimal, str, list]:
    """Score = base + Σ weight × ½^(age / half-life), each line rounded to the cent; clamped to [0, base + 20].
    An institution on the published blacklist is graded D whatever its score (a line says so)."""
    total = Decimal(model.base_score)
    lines = []
    for event in sorted(events, key=lambda e: (e.occurred_on, e.id)):
        if event.occurred_on > as_of:
            continue
        weight = model.weights.get(event.kind, 0)
        half_life = model.half_life_days.get(event.kind)
        age = (as_of - event.occurred_on).days
        factor = Decimal(str(round(0.5 ** (age / half_life), 4))) if half_life else Decimal(1)
        points = (Decimal(str(weight)) * factor).quantize(CENT)
        total += points
        lines.append({"event": event.id, "kind": event.kind, "occurred_on": event.occurred_on.isoformat(),
                      "weight": weight, "age_days": age, "factor": str(factor), "points": str(points)})
    score = min(max(total, Decimal(0)), Decimal(model.base_score + 20)).quantize(CENT)
    grade = grade_for(score, model.thresholds)
    if blacklisted:
        lines.append({"event": None, "kind": "blacklist", "grade_cap": Grade.D})
        grade = Grade.D
    return score, grade, lines


def recompute(evaluation: CreditEvaluation) -> tuple[Decimal, str, list]:
    """The evaluation again, from the events it counted and the model version it names."""
    ids = [line["event"] for line in evaluation.lines if line["event"] is not None]
    events = [EventFacts(e.id, e.kind, e.occurred_on) for e in CreditEvent.objects.filter(pk__in=ids)]
    blacklisted = any(line["kind"] == "blacklist" for line in evaluation.lines)
    return compute_evaluation(events, evaluation.scoring_model, evaluation.as_of, blacklisted)


# ------------------------------------------------------------------------------------------------- risk


@dataclass
class RiskInputs:
    grade: str = ""
    complaints: int = 0
    open_major: int = 0
    overdue: int = 0
    incidents: int = 0
    serious_incidents: int = 0
    lists: set = field(default_factory=set)


def risk_from_inputs(inputs: RiskInputs) -> tuple[str, int, list]:
    """Points from each factor → high (≥3), medium, low (≤−1); every non-zero factor is a reason."""
    reasons = []

    def add(code, points, text):
        reasons.append({"code": code, "points": points, "text": text})

    grade_points = {"A": -1, "B": 0, "C": 1, "D": 3}.get(inputs.grade, 0)
    if grade_points:
        add("grade", grade_points, _("信用等级%(g)s") % {"g": inputs.grade})
    if ListKind.BLACK in inputs.lists:
        add("black", 3, _("列入失信联合惩戒对象名单"))
    if ListKind.WATCH in inputs.lists:
        add("watch", 2, _("列入重点关注对象名单"))
    if ListKind.RED in inputs.lists:
        add("red", -1, _("列入守信联合激励红名单"))
    if inputs.complaints:
        add("complaints", 2 if inputs.complaints >= 3 else 1,
            _("近一年投诉举报查实%(n)s件") % {"n": inputs.complaints})
    if inputs.open_major:
        add("open_major", 3, _("未销号的重大隐患%(n)s项") % {"n": inputs.open_major})
    if inputs.overdue:
        add("overdue", 2, _("逾期未整改%(n)s项") % {"n": inputs.overdue})
    if inputs.serious_incidents:
        add("incidents", 2, _("近一年发生致人伤亡的突发事件%(n)s起") % {"n": inputs.serious_incidents})
    elif inputs.incidents:
        add("incidents", 1, _("近一年发生突发事件%(n)s起") % {"n": inputs.incidents})
    points = sum(r["points"] for r in reasons)
    level = RiskLevel.HIGH if points >= 3 else RiskLevel.LOW if points <= -1 else RiskLevel.MEDIUM
    return level, points, reasons


def _latest_ids(model, ids):
    return model.objects.filter(institution_id__in=ids).values("institution_id").annotate(m=Max("id")).values("m")


def _chunk(ids, as_of, model, credit_domain) -> int:
    institutions = {row["id"]: row for row in Institution.objects.filter(pk__in=ids).values(
        "id", "region_code", "facts", "credit_grade", "risk_level", "credit_list")}
    ids = list(institutions)
    events = {}
    for row in CreditEvent.objects.filter(institution_id__in=ids, state=EventState.IN_FORCE).values(
            "id", "institution_id", "kind", "occurred_on"):
        events.setdefault(row["institution_id"], []).append(
            EventFacts(row["id"], row["kind"], row["occurred_on"]))
    last_eval = {row["institution_id"]: row for row in CreditEvaluation.objects.filter(
        pk__in=_latest_ids(CreditEvaluation, ids)).values("institution_id", "score", "grade", "scoring_model_id")}
    last_risk = {row["institution_id"]: row for row in RiskAssessment.objects.filter(
        pk__in=_latest_ids(RiskAssessment, ids)).values("institution_id", "level", "reasons")}
    since = as_of - dt.timedelta(days=LOOKBACK_DAYS)
    findings = {row["institution_id"]: row for row in Finding.objects.filter(
        institution_id__in=ids, state__in=UNRESOLVED_FINDING_STATES).values("institution_id").annotate(
        open_major=Count("id", filter=Q(severity=Severity.MAJOR)),
        overdue=Count("id", filter=Q(rectification_due__lt=as_of)))}
    incidents = {row["institution_id"]: row for row in IncidentReport.objects.filter(
        institution_id__in=ids, occurred_at__date__gte=since, occurred_at__date__lte=as_of).values(
        "institution_id").annotate(n=Count("id"), serious=Count("id", filter=Q(deaths__gt=0) | Q(injuries__gt=0)))}
    lists = {}
    for inst_id, kind in ListEntry.objects.filter(
            institution_id__in=ids, state=ListState.PUBLISHED, published_on__lte=as_of).values_list(
            "institution_id", "list_kind"):
        lists.setdefault(inst_id, set()).add(kind)

    new_evals, new_risks, changed, audits = [], [], [], []
    for inst_id, inst in institutions.items():
        inst_events = events.get(inst_id, [])
        score, grade, lines = compute_evaluation(inst_events, model, as_of,
                                                 ListKind.BLACK in lists.get(inst_id, set()))
        last = last_eval.get(inst_id)
        if last is None or last["score"] != score or last["grade"] != grade or last["scoring_model_id"] != model.id:
            new_evals.append(CreditEvaluation(
                institution_id=inst_id, domain=credit_domain, region_code=inst["region_code"],
                institution_facts=inst["facts"], scoring_model=model, as_of=as_of, score=score, grade=grade,
                lines=lines))
        f = findings.get(inst_id, {})
        i = incidents.get(inst_id, {})
        inputs = RiskInputs(
            grade=grade, open_major=f.get("open_major", 0), overdue=f.get("overdue", 0),
            complaints=sum(1 for e in inst_events if e.kind == EventKind.SUBSTANTIATED_COMPLAINT
                           and since <= e.occurred_on <= as_of),
            incidents=i.get("n", 0), serious_incidents=i.get("serious", 0), lists=lists.get(inst_id, set()))
        level, points, reasons = risk_from_inputs(inputs)
        last = last_risk.get(inst_id)
        if last is None or last["level"] != level or last["reasons"] != reasons:
            new_risks.append(RiskAssessment(
                institution_id=inst_id, domain=credit_domain, region_code=inst["region_code"],
                institution_facts=inst["facts"], level=level, points=points, reasons=reasons, assessed_on=as_of))
        listed = next((k for k in LIST_PRECEDENCE if k in inputs.lists), "")
        after = {"credit_grade": grade, "risk_level": level, "credit_list": listed}
        before = {k: inst[k] for k in after}
        if before != after:
            changed.append(Institution(pk=inst_id, **after))
            audits.append({"verb": "institution.credit_status", "object_type": "institutions.institution",
                           "object_id": inst_id, "before": before, "after": after})
    with transaction.atomic():
        CreditEvaluation.objects.bulk_create(new_evals)
        RiskAssessment.objects.bulk_create(new_risks)
        _set_credit_status(changed)
        audit_records_bulk(None, audits)
    return len(changed)


def _set_credit_status(changed) -> None:
    """Write grade, risk level and list of many institutions in one UPDATE … FROM (VALUES …).

    `bulk_update` builds a CASE WHEN per row and field — 3,000 expressions per chunk of 1,000 — and resolving
    them took ~40 % of a province's nightly run (cProfile, issue 9); the statement here costs one round trip.
    """
    if not changed:
        return
    table = connection.ops.quote_name(Institution._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(changed))
    params = [value for inst in changed for value in (inst.pk, inst.credit_grade, inst.risk_level, inst.credit_list)]
    with connection.cursor() as cursor:
        cursor.execute(
            # VALUES columns are column1… in PostgreSQL and SQLite alike (SQLite takes no column aliases there).
            f"UPDATE {table} SET credit_grade = v.column2, risk_level = v.column3, credit_list = v.column4 "
            f"FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1", params)


def evaluate_institutions(ids=None, as_of: dt.date | None = None, progress=None) -> int:
    """Evaluate and grade the given institutions (all operating ones when None); returns how many changed.

    Each chunk commits on its own, so a failure part-way keeps the grades already written; `progress(done,
    total)` is told after each chunk (a background job's reporter)."""
    as_of = as_of or today()
    model = current_scoring_model()
    credit_domain = domain("credit")
    if ids is None:
        ids = list(Institution.objects.exclude(status=InstitutionStatus.CLOSED).order_by("pk")
                   .values_list("pk", flat=True))
    ids = list(ids)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _chunk(ids[start:start + CHUNK], as_of, model, credit_domain)
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))
    return changed


def evaluate_institution(institution_id: int, as_of: dt.date | None = None) -> int:
    return evaluate_institutions([institution_id], as_of)
