"""Read-side queries of the inspections app."""

from dataclasses import dataclass

from agencies.choices import Action
from institutions.choices import InstitutionStatus
from institutions.models import Institution

from .choices import RiskLevel
from .models import InspectionPlan, Inspector


def eligible_inspectors(department_ids):
    """Active inspectors on the rosters of these departments, with their domains of expertise."""
    return (Inspector.objects.filter(active=True, department_id__in=list(department_ids))
            .select_related("department", "staff__user").prefetch_related("domains").order_by("department_id", "id"))


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


def plan_candidates(plan: InspectionPlan) -> list[PlanCandidate]:
    """The operating institutions a plan covers, each with its draw weight and whether it was inspected this year.

    Coverage is the lead department's region, read through `Institution.objects.restrict()` as the plan's
    creator (so a plan never reaches an institution its author may not see; a plan whose creator's account is
    gone falls back to the region alone) and bounded by the lead department's
    region prefix. The weight reads `institution.risk_level` and `institution.credit_list`, which the credit app
    maintains (medium risk on no list until it has graded an institution). `inspected_this_year` is False for
    every institution until the inspections model exists to feed it: the draw then puts the not-yet-inspected
    first as the year runs out.
    """
    prefix = plan.lead_department.region.scope_code
    queryset = Institution.objects.filter(status=InstitutionStatus.OPERATING, region_code__startswith=prefix)
    if plan.created_by is not None:
        queryset = queryset.restrict(plan.created_by, Action.VIEW)
    candidates = []
    for institution in queryset.order_by("region_code", "uscc"):
        risk_level = institution.risk_level or RiskLevel.MEDIUM
        list_kind = institution.credit_list or None
        candidates.append(PlanCandidate(
            institution=institution, risk_level=risk_level, list_kind=list_kind,
            weight=candidate_weight(plan, risk_level, list_kind), inspected_this_year=False))
    return candidates
