"""Loads the portal's own copy of the reference data (agencies/data/*.csv) into the database.

Idempotent: rows are matched on their natural keys and updated. Works with the live app registry and with
a migration's historical one, so a fresh production database gets the statutory catalog from `migrate`.
"""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CITY_CODE = "120000"
COLLECTIVE_KINDS = {"leading_group_members", "other_regulatory_departments", "subdistrict_township"}


def read_csv(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def parse_limits(cell: str) -> dict:
    """`review_filing=civil_affairs|administrative_approval;…` → {"review_filing": ["civil_affairs", …]}."""
    limits = {}
    for part in split(cell):
        action, _, kinds = part.partition("=")
        limits[action.strip()] = [k.strip() for k in kinds.split("|") if k.strip()]
    return limits


def load_reference(apps=None) -> dict:
    if apps is None:
        from django.apps import apps
    Region = apps.get_model("agencies", "Region")
    Domain = apps.get_model("agencies", "Domain")
    DepartmentKind = apps.get_model("agencies", "DepartmentKind")
    Duty = apps.get_model("agencies", "Duty")

    city, _created = Region.objects.update_or_create(
        code=CITY_CODE, defaults={"name": "天津市", "name_en": "Tianjin", "level": "city", "scope_code": "12"})
    for row in read_csv("districts_tianjin.csv"):
        Region.objects.update_or_create(code=row["code"], defaults={
            "name": row["name_zh"], "name_en": row["name_en"], "level": "district", "parent": city,
            "scope_code": row["code"][:6]})

    domains = {}
    for row in read_csv("domains.csv"):
        domains[row["code"]], _ = Domain.objects.update_or_create(code=row["code"], defaults={
            "name": row["name_zh"], "name_en": row["name_en"], "description": row["description_zh"],
            "sources": row["sources"][:255]})

    names = {row["kind"]: row for row in read_csv("department_names.csv")}
    kinds = {}
    for row in read_csv("departments.csv"):
        pattern = names.get(row["code"], {})
        kinds[row["code"]], _ = DepartmentKind.objects.update_or_create(code=row["code"], defaults={
            "name": row["name_zh"], "name_en": row["name_en"], "example_names": row["example_names_in_seeds"],
            "is_collective": row["code"] in COLLECTIVE_KINDS,
            "city_name_pattern": pattern.get("city_name", ""),
            "district_name_pattern": pattern.get("district_name", "")})
    for row in read_csv("competence.csv"):
        kind = kinds[row["department"]]
        kind.competence.set([domains[c] for c in split(row["domains"])])
        kind.competence_basis = row["basis"]
        kind.jurisdiction_applies_if = split(row["applies_if"])
        kind.save(update_fields=["competence_basis", "jurisdiction_applies_if"])

    # Migrations run this loader with the model as it stood then: set only the fields it has.
    duty_fields = {f.name for f in Duty._meta.get_fields()}
    for row in read_csv("duties.csv"):
        defaults = {
            "requirement": row["requirement_zh"], "text": row["task_zh"], "text_clean": row["task_zh_clean"],
            "responsible_units": row["responsible_units_zh"], "lead_kind": kinds.get(row["lead_department"]),
            "actions": split(row["actions"]), "applies_if": split(row["applies_if"]),
            "action_limits": parse_limits(row.get("action_limits", "")),
            "source_lines": row["source_lines"], "note": row["note"]}
        defaults = {k: v for k, v in defaults.items() if k in duty_fields}
        duty, _ = Duty.objects.update_or_create(source_seed=row["source_seed"], task_no=row["task_no"],
                                                defaults=defaults)
        duty.department_kinds.set([kinds[k] for k in split(row["departments"])])
        duty.domains.set([domains[d] for d in split(row["domains"])])
    return {"regions": Region.objects.count(), "domains": len(domains), "kinds": len(kinds),
            "duties": Duty.objects.count()}
