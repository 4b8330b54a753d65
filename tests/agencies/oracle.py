"""An independent reading of the duty catalog: who may take which action on which record.

Computed from the data files alone (duties.csv, competence.csv) with the csv module, never by calling the
access engine, so that the matrix and property tests compare two separate implementations of DESIGN §3:

- a department kind is a real department when competence.csv has a row for it (the collective codes —
  领导小组成员单位, 其他负有监管职责部门, 街道 — have none and grant nothing);
- a duty that names one department gives it all the duty's domains; a joint duty ("按职责分工落实") gives each
  named department only the duty's domains within its own competence;
- a duty with `applies_if` covers an institution with at least one of those facts; a kind with a jurisdiction
  condition (competence.csv `applies_if`: 医保 supervises only designated institutions) likewise;
- the record's region must lie within the department's region (prefix of the division code).
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "agencies" / "data"
ACTIONS = ["view", "inspect", "record_finding", "verify_rectification", "accept_referral", "handle_complaint",
           "record_penalty", "propose_list_entry", "review_filing"]


def _split(cell):
    return [p.strip() for p in cell.split(";") if p.strip()]


@dataclass(frozen=True)
class OracleDuty:
    reference: str
    kinds: tuple
    domains: frozenset
    actions: frozenset
    applies_if: frozenset
    limits: tuple  # ((action, frozenset of kinds), …)


@cache
def competence() -> dict:
    with open(DATA / "competence.csv", encoding="utf-8", newline="") as f:
        return {row["department"]: (frozenset(_split(row["domains"])), frozenset(_split(row["applies_if"])))
                for row in csv.DictReader(f)}


@cache
def duties() -> tuple:
    with open(DATA / "duties.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(OracleDuty(
        reference=row["task_no"] if row["task_no"].startswith("001-") else f"000任务{row['task_no']}",
        kinds=tuple(_split(row["departments"])), domains=frozenset(_split(row["domains"])),
        actions=frozenset(_split(row["actions"])), applies_if=frozenset(_split(row["applies_if"])),
        limits=tuple((a, frozenset(k.split("|"))) for a, _, k in
                     (p.partition("=") for p in _split(row.get("action_limits", "")))))
        for row in rows)


def share(duty: OracleDuty, kind: str) -> frozenset:
    real = [k for k in duty.kinds if k in competence()]
    if kind not in real:
        return frozenset()
    if len(real) == 1:
        return duty.domains
    return duty.domains & competence()[kind][0]


def granting_duties(kind: str, action: str, domain: str, facts) -> list:
    return list(_granting_duties(kind, action, domain, frozenset(facts)))


@cache
def _granting_duties(kind: str, action: str, domain: str, facts: frozenset) -> tuple:
    """The duties under which a department of `kind` may take `action` on a `domain` record of an
    institution with `facts` (region aside)."""
    if kind not in competence():
        return []
    jurisdiction = competence()[kind][1]
    if jurisdiction and not (jurisdiction & facts):
        return []
    found = []
    for duty in duties():
        if action not in duty.actions or domain not in share(duty, kind):
            continue
        if any(a == action and kind not in kinds for a, kinds in duty.limits):
            continue
        if duty.applies_if and not (duty.applies_if & facts):
            continue
        found.append(duty.reference)
    return tuple(found)


def region_prefix(region_code: str, level: str) -> str:
    """GB/T 2260: a city's significant prefix is its first two digits (120000 → 12), a district's six."""
    if level == "city":
        return region_code[:2] if region_code.endswith("0000") else region_code[:4]
    return region_code[:6] if level == "district" else region_code


def may(kind: str, dept_region_code: str, dept_level: str, action: str, record_region: str, domain: str,
        facts: set) -> bool:
    if not record_region.startswith(region_prefix(dept_region_code, dept_level)):
        return False
    return bool(granting_duties(kind, action, domain, facts))


FACT_NAMES = ["has_internal_medical_facility", "medical_insurance_designated", "provides_meals",
              "has_special_equipment", "receives_government_funds", "eldercare_facility_land",
              "nonprofit_on_allocated_land", "unregistered", "registered_not_filed", "home_community_service",
              "medical_institution_providing_eldercare", "major_fire_hazard"]


def facts_of(institution) -> set:
    """Read the institution's boolean fields directly (not its bitmask)."""
    return {name for name in FACT_NAMES if getattr(institution, name)}
