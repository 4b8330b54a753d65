"""Read-side queries of the inspections app."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from agencies.choices import Action
from institutions.choices import InstitutionStatus
from institutions.models import Institution

from .choices import InspectionState, RiskLevel
from .models import Inspection, InspectionPlan, Inspector

# An institution counts as inspected once an inspection of it is complete (signed off), published or not.
DONE_STATES = (InspectionState.COMPLETED, InspectionState.PUBLISHED)


def eligible_inspectors(department_ids):
    """Active inspectors on the rosters of these departments, with their domains of expertise."""
    return (Inspector.objects.filter(active=True, department_id__in=list(department_ids))
            .select_related("department__kind", "staff__user").prefetch_related("domains")
            .order_by("department_id", "id"))


@dataclass(frozen=True)
class PlanCandidate:
    institution: Institution
    risk_level: str
    list_kind: str | None
    weight: float
    inspected_this_year: bool


def candidate_weight(plan: InspectionPlan, risk_level: str | None, list_kind: str | None) -> float:
    """Risk multiplier × list multiplier; an unknown risk level counts as medium, no list as 1.0."""
    risk = plan.risk_multipliers.get(risk_level or RiskLevel.MEDIUM, plan.risk_multipliers[RiskLevel.MEDIUM])
    listed = plan.list_multipliers.get(list_kind, 1.0) if list_kind else 1.0
    return float(risk) * float(listed)


def _plan_coverage(plan: InspectionPlan):
    """The operating institutions a plan covers, annotated with `inspected_this_year` (see `plan_candidates`)."""
    prefix = plan.lead_department.region.scope_code
    queryset = Institution.objects.filter(status=InstitutionStatus.OPERATING, region_code__startswith=prefix)
    if plan.created_by is not None:
        queryset = queryset.restrict(plan.created_by, Action.VIEW)
    return queryset.annotate(inspected_this_year=inspected_in_year(plan.year))


def plan_candidates(plan: InspectionPlan) -> list[PlanCandidate]:
    """The operating institutions a plan covers, each with its draw weight and whether it was inspected this year.

    Coverage is the lead department's region, read through `Institution.objects.restrict()` as the plan's
    creator (so a plan never reaches an institution its author may not see; a plan whose creator's account is
    gone falls back to the region alone) and bounded by the lead department's
    region prefix. The weight reads `institution.risk_level` and `institution.credit_list`, which the credit app
    maintains (medium risk on no list until it has graded an institution). `inspected_this_year`: an inspection
    of it was completed (or published) in the plan's year — the draw puts the not-yet-inspected first as the
    year runs out. One query for all of it.
    """
    candidates = []
    # Only what the draw reads: a province's 50,000 full rows cost seconds of model building alone.
    for institution in _plan_coverage(plan).only("id", "name", "uscc", "region_code", "risk_level", "credit_list") \
            .order_by("region_code", "uscc"):
        risk_level = institution.risk_level or RiskLevel.MEDIUM
        list_kind = institution.credit_list or None
        candidates.append(PlanCandidate(
            institution=institution, risk_level=risk_level, list_kind=list_kind,
            weight=candidate_weight(plan, risk_level, list_kind),
            inspected_this_year=institution.inspected_this_year))
    return candidates


def plan_candidate_rows(plan: InspectionPlan) -> list[tuple[int, str, float, bool]]:
    """`plan_candidates` as (institution id, region code, weight, inspected this year) tuples, ascending id: what
    the draw commits to, without an Institution per row (a province: 45,000 of them, ~1.5 s)."""
    weights = {}  # a handful of (risk level, list) pairs across a whole province
    rows = []
    for pk, region_code, risk_level, list_kind, inspected in _plan_coverage(plan).values_list(
            "pk", "region_code", "risk_level", "credit_list", "inspected_this_year").order_by("pk"):
        pair = (risk_level or RiskLevel.MEDIUM, list_kind or None)
        if pair not in weights:
            weights[pair] = candidate_weight(plan, *pair)
        rows.append((pk, region_code, weights[pair], inspected))
    return rows


# ------------------------------------------------------------------------------------------------ draws


def plans_visible_to(user):
    """The plans a staff member may read: civil affairs those led within or over its region (a city bureau sees
    its districts' plans, a district bureau the city's), another department those it takes part in; a
    superuser all. Plans are programmes, not regulated records, so this is their whole read rule."""
    from django.db.models import Q

    from agencies.models import Department

    plans = InspectionPlan.objects.select_related("lead_department", "checklist_version")
    if user.is_superuser:
        return plans
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return plans.none()
    department = Department.objects.select_related("kind", "region").get(pk=profile.department_id)
    if department.kind.code == "civil_affairs":
        scope = department.region.scope_code
        covering = [scope[:n] for n in range(1, len(scope) + 1)]
        return plans.filter(Q(lead_department__region__scope_code__startswith=scope)
                            | Q(lead_department__region__scope_code__in=covering))
    return plans.filter(participating_departments=department).distinct()


def public_plans():
    """Published plans: what 一公开 discloses about them."""
    from .choices import PlanState

    return (InspectionPlan.objects.filter(state=PlanState.PUBLISHED)
            .select_related("lead_department", "checklist_version").order_by("-year", "-published_at", "-id"))


def public_draws():
    """Every draw of a published plan: a committed one shows its commitment, an executed one its result."""
    from .choices import PlanState
    from .models import Draw

    return Draw.objects.filter(plan__state=PlanState.PUBLISHED).select_related("plan__lead_department")


def public_draw_assignments():
    """Every drawn institution of the executed draws of published plans, with its team as the public sees it
    (departments and inspector numbers, no names): the open-data form of the public draw pages."""
    from .choices import DrawState
    from .models import DrawAssignment

    return (DrawAssignment.objects.filter(draw__in=public_draws().filter(state=DrawState.EXECUTED))
            .select_related("draw__plan", "institution__region")
            .prefetch_related("inspectors__department")
            .order_by("-draw__plan__year", "draw__plan_id", "draw__number", "position"))


def draw_assignments(draw, *, with_names: bool = True):
    """The drawn institutions of a draw with their teams, in drawn order: a fixed number of queries whatever
    the size. `with_names=False` for the public, which sees departments and inspector numbers, not people."""
    related = ["inspectors__department", "draw__required_departments"]
    if with_names:
        related.append("inspectors__staff__user")
    return draw.assignments.select_related("institution").prefetch_related(*related).order_by("position")


@dataclass(frozen=True)
class DrawVerification:
    """What re-running a stored draw found. `ok` is None while the draw is only committed (nothing to check)."""

    ok: bool | None
    message: str
    input_hash: str = ""      # SHA-256 of the stored input bytes, recomputed
    commitment_hash: str = ""  # recomputed from the revealed seed and the stored input
    result_hash: str = ""     # of the re-run
    differences: tuple[str, ...] = ()


def verify_stored_draw(draw) -> DrawVerification:
    """Re-runs a stored draw from its committed input bytes and revealed seed, and compares everything
    published: the input bytes with `input_hash`, the commitment, the result JSON with `result_hash`, and the
    assignment rows with the result."""
    import hashlib

    from django.utils.translation import gettext as _

    from . import draw as algorithm

    input_hash = hashlib.sha256(draw.input_bytes).hexdigest()
    if not draw.is_executed:
        return DrawVerification(None, _("尚未抽取：种子公开后方可核验。"), input_hash=input_hash)
    differences = []
    if input_hash != draw.input_hash:
        differences.append(_("输入：存储的规范化输入的SHA-256与公布的输入哈希不一致"))
    try:
        seed = bytes.fromhex(draw.secret_seed)
        inputs = algorithm.inputs_from_canonical(draw.input_bytes)
        rerun = algorithm.run_draw(seed, *inputs)
    except (ValueError, algorithm.DrawError) as exc:
        differences.append(_("重新抽取失败：%s") % exc)
        return DrawVerification(False, "；".join(differences), input_hash=input_hash,
                                differences=tuple(differences))
    ok, reason = algorithm.verify_draw(seed, draw.published_commitment, *inputs, draw.result_json)
    if not ok:
        differences.append(reason)
    if rerun.result_hash != draw.result_hash:
        differences.append(_("结果哈希：重新抽取得到的结果哈希与公布的不一致"))
    stored_teams = [(a.institution_id, tuple(sorted(i.pk for i in a.inspectors.all())))
                    for a in draw.assignments.prefetch_related("inspectors").order_by("position")]
    if stored_teams != [(inst, tuple(team)) for inst, team in rerun.teams]:
        differences.append(_("抽取结果表：登记的机构或检查组与重新抽取的结果不一致"))
    common = dict(input_hash=input_hash, commitment_hash=rerun.commitment["commitment_hash"],
                  result_hash=rerun.result_hash)
    if differences:
        return DrawVerification(False, "；".join(differences), differences=tuple(differences), **common)
    return DrawVerification(True, _("一致：按公开的种子和输入重新抽取，结果逐字节相同。"), **common)


@dataclass(frozen=True)
class DrawSummary:
    """What a stored input document says, for people: counts and the rules, with department names."""

    candidates: int
    inspectors: int
    conflicts: int
    previous_pairs: int
    count: int
    team_size_min: int
    uninspected_first: bool
    required_departments: tuple


def draw_summary(draw) -> DrawSummary:
    import json

    from agencies.models import Department

    doc = json.loads(draw.input_json)
    rules = doc["rules"]
    names = Department.objects.filter(pk__in=rules["required_department_ids"]).order_by("pk")
    return DrawSummary(candidates=len(doc["candidates"]), inspectors=len(doc["inspectors"]),
                       conflicts=len(doc["conflicts"]), previous_pairs=len(rules["previous_pairs"]),
                       count=rules["count"], team_size_min=rules["team_size_min"],
                       uninspected_first=rules["uninspected_first"], required_departments=tuple(names))

def inspected_in_year(year: int) -> Exists:
    """For an Institution queryset: whether an inspection of it was completed in `year` (an EXISTS per row).

    Reads the fact, not the record: it does not reveal which department inspected or what was found, so it
    is not a read of a regulated record and needs no restrict().
    """
    start = timezone.make_aware(dt.datetime(year, 1, 1))  # midnight in the portal's time zone
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    return Exists(Inspection.objects.filter(institution=OuterRef("pk"), state__in=DONE_STATES,
                                            completed_at__gte=start, completed_at__lt=end))


# ------------------------------------------------------------------------------------------- publication (一公开)


def public_results():
    """Published inspection results: a disclosure rule that applies to everyone alike, so — as for the public
    directory (institutions.selectors.public_institutions) — not restrict(). Only what the rule publishes is
    selected: no inspector, no creator, no finding text."""
    from django.db.models import Count, Prefetch, Q

    from agencies.models import Department

    return (Inspection.objects.filter(state=InspectionState.PUBLISHED)
            .select_related("institution__region")
            .only("id", "kind", "scheduled_for", "started_at", "completed_at", "published_at", "public_summary",
                  "institution_id", "institution__name", "institution__uscc", "institution__region__name",
                  "institution__region_id")
            .prefetch_related(Prefetch("departments", queryset=Department.objects.only("id", "name")))
            .annotate(item_count=Count("items", distinct=True),
                      finding_count=Count("findings", distinct=True),
                      major_count=Count("findings", filter=Q(findings__severity="major"), distinct=True))
            .order_by("-published_at", "-id"))


@dataclass(frozen=True)
class PublicResult:
    inspection: Inspection
    items: list  # [(code, text, domain name, result label)]
    by_domain: list  # [(domain name, general count, major count)]
    by_state: list  # [(state label, count)]


def public_result_detail(pk: int) -> PublicResult:
    """One published result with its items, its findings counted by domain and severity and by rectification
    state (counts only). Raises Inspection.DoesNotExist for anything not published."""
    from collections import defaultdict

    from django.db.models import Count

    from .choices import FindingState, ItemResultValue, Severity
    from .models import Finding, ItemResult

    inspection = public_results().get(pk=pk)
    results = dict(ItemResult.objects.filter(inspection_id=pk).values_list("item_id", "result"))
    items = [(item.code, item.text, item.domain.name,
              ItemResultValue(results[item.pk]).label if item.pk in results else "—")
             for item in inspection.items.select_related("domain").order_by("position", "id")]
    counts = defaultdict(lambda: [0, 0])
    rows = (Finding.objects.filter(inspection_id=pk).values("domain__name", "domain_id", "severity")
            .annotate(n=Count("id")).order_by("domain_id"))
    for row in rows:
        counts[row["domain__name"]][0 if row["severity"] == Severity.GENERAL else 1] += row["n"]
    by_state = [(FindingState(row["state"]).label, row["n"]) for row in
                Finding.objects.filter(inspection_id=pk).values("state").annotate(n=Count("id")).order_by("state")]
    return PublicResult(inspection, items, [(name, g, m) for name, (g, m) in counts.items()], by_state)


# ------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class DistrictCoverage:
    code: str
    name: str
    total: int
    inspected: int

    @property
    def not_inspected(self) -> int:
        return self.total - self.inspected

    @property
    def percent(self) -> int:
        return round(100 * self.inspected / self.total) if self.total else 0


def coverage(user, year: int) -> list[DistrictCoverage]:
    """This year's inspected and not-yet-inspected operating institutions per district, among those the user's
    duty covers (Institution.objects.restrict()). One query: grouped by the district prefix of region_code."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    from agencies.choices import RegionLevel
    from agencies.models import Region

    rows = (Institution.objects.restrict(user, Action.VIEW).filter(status=InstitutionStatus.OPERATING)
            .annotate(district=Substr("region_code", 1, 6), done=inspected_in_year(year))
            .values("district").annotate(total=Count("id"), inspected=Count("id", filter=Q(done=True)))
            .order_by("district"))
    rows = list(rows)
    names = dict(Region.objects.filter(level=RegionLevel.DISTRICT, scope_code__in=[r["district"] for r in rows])
                 .values_list("scope_code", "name"))
    return [DistrictCoverage(r["district"], names.get(r["district"], r["district"]), r["total"], r["inspected"])
            for r in rows]


def not_inspected_institutions(user, year: int, district: str | None = None):
    """The operating institutions in the user's scope with no completed inspection in `year`."""
    queryset = (Institution.objects.restrict(user, Action.VIEW).filter(status=InstitutionStatus.OPERATING)
                .annotate(done=inspected_in_year(year)).filter(done=False).select_related("region")
                .order_by("region_code", "name", "id"))
    if district:
        queryset = queryset.filter(region_code__startswith=district)
    return queryset


# ------------------------------------------------------------------------------------------- work queues


def findings_to_verify(user, department=None):
    """待验收: submitted rectifications the user may verify, and — for department staff — the ones their own
    department verifies (谁检查谁验收: the department named to verify or, where none is named, the one that
    found it). The verify queue page and the portal's work queue both read this."""
    from django.db.models import Q

    from .choices import FindingState
    from .models import Finding

    queryset = Finding.objects.restrict(user, Action.VERIFY_RECTIFICATION).filter(state=FindingState.SUBMITTED)
    if department is not None:
        queryset = queryset.filter(Q(verifying_department=department)
                                   | Q(verifying_department__isnull=True, found_by=department))
    return queryset


OPEN_INSPECTION_STATES = (InspectionState.SCHEDULED, InspectionState.NOTIFIED, InspectionState.IN_PROGRESS)


def inspections_to_carry_out(user, department=None):
    """Inspections not yet done that the user acts in: those its department takes part in (the lead included)
    and those it is on the team of as an inspector — the same rule as `services.inspections.on_team`."""
    from django.db.models import Q

    queryset = Inspection.objects.restrict(user, Action.INSPECT).filter(state__in=OPEN_INSPECTION_STATES)
    if user.is_superuser:
        return queryset
    mine = Q(team__inspector__staff__user=user)
    if department is not None:
        mine |= Q(departments=department)
    return queryset.filter(pk__in=Inspection.objects.filter(mine).values("pk"))
