"""Writes for the directory of institutions: creating institutions and importing the bureaus' sheet.

Field changes of existing institutions go through `services.institution_update` (the one write path for the
fields it covers, so that records follow a changed region or fact); the profile fields it does not cover
(contacts, residents, profit nature, 公建民营) are written here with their own audit row.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.audit import audit_record
from agencies.choices import RegionLevel, StaffRole
from agencies.models import Region

from ..excel import RowError
from ..models import Institution
from ..uscc import legal_form_of
from . import EDITABLE_FIELDS, institution_update

IMPORTER_KIND = "civil_affairs"
IMPORTER_ROLES = (StaffRole.STAFF, StaffRole.ADMIN)
# Profile fields outside institution_update's list: none of them moves records or changes who sees them.
PROFILE_FIELDS = ("legal_representative", "person_in_charge", "contact_person", "contact_phone", "residents",
                  "profit_nature", "public_built_private_run")
PROGRESS_EVERY = 250


def importer_region(user) -> Region:
    """The region a user may import institutions into: district or city civil-affairs staff only."""
    profile = getattr(user, "staff_profile", None) if user.is_authenticated else None
    if profile is None or profile.department.kind.code != IMPORTER_KIND or profile.role not in IMPORTER_ROLES:
        raise PermissionDenied(_("只有市、区民政部门工作人员可以导入养老机构名录"))
    return profile.department.region


def can_import(user) -> bool:
    try:
        importer_region(user)
    except PermissionDenied:
        return False
    return True


def _regions_by_name(scope: Region) -> dict:
    """District and street names under the importer's region; "和平区" and "天津市和平区" both match."""
    regions = Region.objects.filter(scope_code__startswith=scope.scope_code).exclude(level=RegionLevel.CITY)
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
    names = {}
    for region in regions:
        names[region.name] = region
        if city is not None:
            names[city.name + region.name] = region
    return names


def institutions_import_validate(*, actor, rows) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Checks what needs the database, for every row, before anything is written.

    Rows get their Region object; an error names the row and column. A row outside the importer's region,
    a USCC that appears twice in the file, or a USCC that belongs to an institution of another region is
    an error.
    """
    scope = importer_region(actor)
    names = _regions_by_name(scope)
    all_names = set(Region.objects.values_list("name", flat=True))
    codes = [record.get("uscc") for _n, record in rows if record.get("uscc")]
    existing = dict(Institution.objects.filter(uscc__in=codes).values_list("uscc", "region_code"))
    errors, seen, checked = [], {}, []
    for number, record in rows:
        region_name = record.get("region", "")
        region = names.get(region_name)
        if region is None and region_name:
            message = (_("不在本部门辖区（%(scope)s）内，不能导入") % {"scope": scope.name}
                       if region_name in all_names or region_name.removeprefix("天津市") in all_names
                       else _("找不到名为“%(name)s”的区或街道") % {"name": region_name})
            errors.append(RowError(number, "所在区", message))
        elif region is not None and region.level == RegionLevel.CITY:
            errors.append(RowError(number, "所在区", _("须填写区或街道")))
        uscc = record.get("uscc")
        if uscc:
            if uscc in seen:
                errors.append(RowError(number, "统一社会信用代码",
                                       _("与第%(row)d行重复") % {"row": seen[uscc]}))
            seen.setdefault(uscc, number)
            if uscc in existing and not existing[uscc].startswith(scope.scope_code):
                errors.append(RowError(number, "统一社会信用代码", _("该机构已登记在其他辖区，不能由本部门导入")))
        checked.append((number, {**record, "region": region}))
    return checked, errors


def _new_institution(record) -> Institution:
    fields = dict(record)
    fields.setdefault("legal_form", legal_form_of(fields["uscc"]))
    inst = Institution(**fields)
    inst.region_code = inst.region.scope_code  # bulk_create does not call save(), which sets these two
    inst.facts = inst.compute_facts()
    inst.full_clean(validate_unique=False)  # uniqueness was checked for the whole file at once
    return inst


def _update_existing(actor, inst: Institution, record) -> bool:
    changes = {k: v for k, v in record.items() if k in EDITABLE_FIELDS and k != "uscc"}
    changed = {}
    for name, value in changes.items():
        current = inst.region_id if name == "region" else getattr(inst, name)
        if (value.pk if name == "region" else value) != current:
            changed[name] = value
    if changed:
        inst = institution_update(actor=actor, institution_id=inst.pk, follow_as_job=False, **changed)
    profile = {k: record[k] for k in PROFILE_FIELDS if k in record and record[k] != getattr(inst, k)}
    if profile:
        before = {k: getattr(inst, k) for k in profile}
        for name, value in profile.items():
            setattr(inst, name, value)
        inst.full_clean(exclude=[f.name for f in Institution._meta.fields if f.name not in profile])
        inst.save(update_fields=[*profile, "updated_at"])
        audit_record(actor, "institution.import_update", inst, before, profile)
    return bool(changed or profile)


def institutions_import(*, actor, rows, progress=None) -> dict:
    """Imports parsed sheet rows all-or-nothing: every row is validated first; any error → nothing written.

    Rows whose USCC is already in the directory update that institution (an exported sheet imports back
    without duplicates); the others are created. `progress(done, total)` is called as rows are written.
    Returns {"created", "updated", "unchanged", "errors"}; errors are RowError.as_dict() items.
    """
    checked, errors = institutions_import_validate(actor=actor, rows=rows)
    new, existing_rows = [], []
    existing = Institution.objects.in_bulk([r["uscc"] for _n, r in checked if r.get("uscc")], field_name="uscc")
    if not errors:
        for number, record in checked:
            if record["uscc"] in existing:
                existing_rows.append((number, record))
                continue
            try:
                new.append(_new_institution(record))
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    label = str(Institution._meta.get_field(field).verbose_name) if field != "__all__" else ""
                    errors.extend(RowError(number, label, m) for m in messages)
    if errors:
        return {"created": 0, "updated": 0, "unchanged": 0, "errors": [e.as_dict() for e in errors]}

    total, done, updated = len(checked), 0, 0
    with transaction.atomic():
        for start in range(0, len(new), PROGRESS_EVERY):
            batch = Institution.objects.bulk_create(new[start:start + PROGRESS_EVERY])
            for inst in batch:
                audit_record(actor, "institution.import_create", inst, {}, {"uscc": inst.uscc, "name": inst.name})
            done += len(batch)
            if progress:
                progress(done, total)
        for number, record in existing_rows:
            try:
                updated += _update_existing(actor, existing[record["uscc"]], record)
            except ValidationError as exc:
                # Cannot normally happen (the row was validated); undo everything rather than half a file.
                transaction.set_rollback(True)
                return {"created": 0, "updated": 0, "unchanged": 0,
                        "errors": [RowError(number, "", " ".join(exc.messages)).as_dict()]}
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
    if progress:
        progress(total, total)
    return {"created": len(new), "updated": updated, "unchanged": len(existing_rows) - updated, "errors": []}
