"""`per_catalog`: values derived from the catalog (the complaint form's intake bureau and domains) are kept per
process until the catalog version changes, and never outlive a change to a department."""

import pytest

from agencies.access import per_catalog
from agencies.models import Department
from complaints.services import intake_department_for

pytestmark = pytest.mark.django_db


def test_computed_once_per_catalog_version_and_again_after_a_department_changes():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert per_catalog(("test", 1), compute) == 1
    assert per_catalog(("test", 1), compute) == 1 and len(calls) == 1  # kept
    assert per_catalog(("test", 2), compute) == 2  # another key
    department = Department.objects.filter(kind__code="civil_affairs", level="district").first()
    department.name += "（更名）"
    department.save()  # a department's change moves the catalog version on
    assert per_catalog(("test", 1), compute) == 3


def test_the_intake_bureau_follows_a_renamed_bureau_at_once(users):
    bureau = users["civil_heping"].staff_profile.department
    assert intake_department_for(bureau.region).name == bureau.name
    bureau.name = "和平区民政局（新）"
    bureau.save()
    assert intake_department_for(bureau.region).name == "和平区民政局（新）"


def test_another_process_change_is_seen_within_memo_seconds(monkeypatch):
    """A version moved on by another process (a cache write, no signal here) is read once MEMO_SECONDS have run
    out; until then the value kept is used without a cache read."""
    import uuid

    from django.core.cache import cache

    from agencies import access

    clock = [1000.0]
    monkeypatch.setattr(access.time, "monotonic", lambda: clock[0])
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert per_catalog(("test", "other"), compute) == 1
    cache.set(access.CATALOG_VERSION_KEY, uuid.uuid4().hex, None)  # the other process's change
    clock[0] += access.MEMO_SECONDS / 2
    assert per_catalog(("test", "other"), compute) == 1
    clock[0] += access.MEMO_SECONDS
    assert per_catalog(("test", "other"), compute) == 2
