"""Findings made directly (the on-site recording service belongs to the inspections-on-site work), with the
fields the life after recording needs."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import Department, Domain
from inspections.choices import Severity
from institutions.models import Institution

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HEPING = "120101"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def photo(name="整改后.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def department(kind: str, district: str | None = HEPING) -> Department:
    if district is None:
        return Department.objects.get(kind__code=kind, region__level="city")
    return Department.objects.get(kind__code=kind, region__code=district)


def own_institution(user) -> Institution:
    return Institution.objects.restrict(user, "view").get()


@pytest.fixture
def make_finding(users):
    """make_finding(domain="fire_safety", by="fire_rescue", account="inst_1", …) → a Finding at that account's
    institution, found by that 和平区 department, verified by it, with a working-day deadline."""
    from django.contrib.auth.models import Permission

    from agencies.access import department_may
    from inspections.models import Finding, FindingGroupObjectPermission
    from inspections.services.findings import set_rectification_deadline

    def _make(domain="fire_safety", by="fire_rescue", account="inst_1", severity=Severity.GENERAL,
              found_on=dt.date(2026, 11, 2), working_days=10, text="疏散通道堆放杂物", **extra):
        found_by = department(by)
        finding = Finding(institution=own_institution(users[account]), domain=Domain.objects.get(code=domain),
                          found_by=found_by, verifying_department=extra.pop("verifying_department", found_by),
                          severity=severity, basis="《中华人民共和国消防法》第二十八条", found_on=found_on,
                          text=text, **extra)
        set_rectification_deadline(finding, working_days)
        finding.copy_institution_columns()
        finding.save()
        if not department_may(found_by, "view", finding):
            # What recording on site does for a team member outside its own domain: the finding department keeps
            # sight of what it found (a hand-off grant), so that it can refer it.
            FindingGroupObjectPermission.objects.create(
                group_id=found_by.group_id, content_object=finding,
                permission=Permission.objects.get(codename="view_finding", content_type__app_label="inspections"))
        return finding

    return _make
