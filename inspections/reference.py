"""Loads the checklist catalog (inspections/data/checklist_items.csv) as version 1.

Idempotent: version 1 and its items are matched on their natural keys (version number, item code) and
updated. Works with the live app registry and with a migration's historical one, so a fresh database gets the
catalog from `migrate`. Later versions are made in the portal (`services.checklist_new_version`) and are never
touched here.
"""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CHECKLIST_CSV = "checklist_items.csv"
FIRST_VERSION_NOTE = "首版：据种子文件002及GB 38600-2019等整理的检查事项清单。"


def read_checklist(name: str = CHECKLIST_CSV) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def load_checklist(apps=None) -> dict:
    if apps is None:
        from django.apps import apps
    from django.utils import timezone

    Domain = apps.get_model("agencies", "Domain")
    DepartmentKind = apps.get_model("agencies", "DepartmentKind")
    ChecklistVersion = apps.get_model("inspections", "ChecklistVersion")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")

    domains = {d.code: d for d in Domain.objects.all()}
    kinds = {k.code: k for k in DepartmentKind.objects.all()}
    version = ChecklistVersion.objects.filter(number=1).first()
    if version is None:
        # Version 1 becomes the active one unless some other version already is.
        active = not ChecklistVersion.objects.filter(active=True).exists()
        version = ChecklistVersion.objects.create(number=1, note=FIRST_VERSION_NOTE, active=active,
                                                  published_at=timezone.now())
    rows = read_checklist()
    for position, row in enumerate(rows, start=1):
        item, _created = ChecklistItem.objects.update_or_create(version=version, code=row["code"], defaults={
            "position": position, "category": row["category"], "domain": domains[row["domain"]],
            "text": row["item_zh"], "basis": row["basis"], "responsible_kind": kinds[row["responsible_department"]],
            "confidence": row["confidence"], "seed_category": row["seed002_category_zh"][:64],
            "notes": row["notes"]})
        item.supporting_kinds.set([kinds[k] for k in split(row["supporting_departments"])])
    return {"version": version.number, "items": ChecklistItem.objects.filter(version=version).count()}
