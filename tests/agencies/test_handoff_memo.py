"""Hand-offs are read once per request (agencies.access.handoffs) and the catalog version at most every
MEMO_SECONDS: what that memo must never do is keep an answer a write has changed."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies import access
from agencies.access import can, get_access_context, handoffs
from agencies.models import Duty
from inspections.models import Finding, FindingGroupObjectPermission, FindingUserObjectPermission

pytestmark = pytest.mark.django_db
HEPING, HEXI = "120101", "120103"


def hexi_fire_finding():
    """A record fire_heping's duties do not reach (another district): only a hand-off shows it."""
    return Finding.objects.filter(region_code=HEXI, domain__code="fire_safety").order_by("id").first()


def view_finding():
    return Permission.objects.get(codename="view_finding", content_type__app_label="inspections")


def test_a_grant_written_after_the_memo_is_seen_by_the_same_user_object(users):
    fire, finding = users["fire_heping"], hexi_fire_finding()
    assert not Finding.objects.restrict(fire).filter(pk=finding.pk).exists()
    grant = FindingUserObjectPermission.objects.create(user=fire, permission=view_finding(), content_object=finding)
    assert Finding.objects.restrict(fire).filter(pk=finding.pk).exists() and can(fire, "view", finding)
    grant.delete()
    assert not Finding.objects.restrict(fire).filter(pk=finding.pk).exists() and not can(fire, "view", finding)


def test_joining_a_group_that_holds_a_grant_is_seen_at_once(users):
    fire, finding = users["fire_heping"], hexi_fire_finding()
    team = Group.objects.create(name="联合检查组（测试）")
    FindingGroupObjectPermission.objects.create(group=team, permission=view_finding(), content_object=finding)
    assert not can(fire, "view", finding)
    fire.groups.add(team)
    assert can(fire, "view", finding)
    fire.groups.remove(team)
    assert not can(fire, "view", finding)


def test_a_bulk_created_grant_is_seen_once_the_writer_says_so(users, monkeypatch):
    # bulk_create sends no signal: the services that use it call grants_changed() (inspection_create, the
    # credit run). Without that call the memo answers from before the write for at most HANDOFFS_MEMO_SECONDS —
    # the same as a grant written by another process.
    clock = [1000.0]
    monkeypatch.setattr(access.time, "monotonic", lambda: clock[0])
    fire, finding = users["fire_heping"], hexi_fire_finding()
    assert not can(fire, "view", finding)
    FindingUserObjectPermission.objects.bulk_create([FindingUserObjectPermission(
        user=fire, permission=view_finding(), content_object=finding)])
    assert not can(fire, "view", finding)  # the memo, as documented
    access.grants_changed()
    assert can(fire, "view", finding)
    FindingUserObjectPermission.objects.filter(user=fire).update(user=users["civil_heping"])  # no signal either
    assert can(fire, "view", finding)
    clock[0] += access.HANDOFFS_MEMO_SECONDS - 1
    assert can(fire, "view", finding)  # a request never lasts this long: it reads its hand-offs once
    clock[0] += 1
    assert not can(fire, "view", finding)


def test_one_hand_off_query_per_request_however_many_record_types(users):
    fire = users["fire_heping"]
    with CaptureQueriesContext(connection) as captured:
        for model in (Finding, *(t[0] for t in access.grant_tables())):
            list(model.objects.restrict(fire).values_list("pk")[:1])
        can(fire, "view", hexi_fire_finding())
    union = [q for q in captured.captured_queries if "UNION" in q["sql"]]
    assert len(union) == 1


def test_many_hand_offs_are_left_to_the_database(users, monkeypatch):
    fire = users["fire_heping"]
    findings = list(Finding.objects.filter(region_code=HEXI).order_by("id")[:3])
    FindingUserObjectPermission.objects.bulk_create([FindingUserObjectPermission(
        user=fire, permission=view_finding(), content_object=f) for f in findings])
    access.grants_changed()
    inline = set(Finding.objects.restrict(fire).values_list("pk", flat=True))
    monkeypatch.setattr(access, "HANDOFFS_INLINED", 2)  # three hand-offs are now "many": a subquery
    queryset = Finding.objects.restrict(fire)
    assert "content_object_id" in str(queryset.query)
    assert set(queryset.values_list("pk", flat=True)) == inline >= {f.pk for f in findings}


def test_the_hand_offs_carry_no_other_users_grants(users):
    fire, civil = users["fire_heping"], users["civil_heping"]
    finding = hexi_fire_finding()
    FindingUserObjectPermission.objects.create(user=civil, permission=view_finding(), content_object=finding)
    assert finding.pk not in handoffs(fire).get(("inspections.finding", "view_finding"), frozenset())
    assert finding.pk in handoffs(civil)[("inspections.finding", "view_finding")]


def test_a_duty_edited_here_is_seen_at_once_and_one_edited_elsewhere_within_the_recheck(users, monkeypatch):
    from django.core.cache import cache

    fire = users["fire_heping"]
    clock = [1000.0]
    monkeypatch.setattr(access.time, "monotonic", lambda: clock[0])
    before = get_access_context(fire)

    # Another process edits the catalog: only the shared version changes; this process hears nothing.
    cache.set(access.CATALOG_VERSION_KEY, "edited-elsewhere", None)
    clock[0] += access.MEMO_SECONDS / 2
    assert get_access_context(fire) is before  # within the recheck time: the memo stands
    clock[0] += access.MEMO_SECONDS / 2
    assert get_access_context(fire) is not before  # re-read: computed under the new version

    # An edit in this process (signals) is seen at once, whatever the clock.
    fire_heping_food = Finding.objects.filter(region_code=HEPING, domain__code="food_safety").order_by("id").first()
    assert not can(fire, "view", fire_heping_food)
    duty = Duty.objects.get(task_no="001-14")  # names fire alone: it gets every domain of the duty
    duty.domains.add(fire_heping_food.domain)
    assert can(fire, "view", fire_heping_food)
    duty.domains.remove(fire_heping_food.domain)
    assert not can(fire, "view", fire_heping_food)


def test_a_request_pays_one_version_read(users, client):
    client.force_login(users["fire_heping"])
    finding = Finding.objects.restrict(users["fire_heping"]).order_by("id").first()
    url = reverse("finding-detail", args=[finding.pk])
    client.get(url)
    from django.core.cache import cache

    reads = []
    original = cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return original(key, *args, **kwargs)

    cache.get = counting_get
    try:
        assert client.get(url).status_code == 200
    finally:
        del cache.get
    assert reads.count(access.CATALOG_VERSION_KEY) <= 1, reads
