import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.models import AuditEvent
from inspections.models import ChecklistItem, ChecklistVersion
from inspections.reference import load_checklist
from inspections.services import checklist_item_update, checklist_new_version, checklist_publish

pytestmark = pytest.mark.django_db


def test_version_1_holds_the_79_items_with_domains_and_departments():
    version = ChecklistVersion.objects.get(number=1)
    assert version.active and not version.is_draft
    items = ChecklistItem.objects.filter(version=version)
    assert items.count() == 79
    assert items.filter(category="key").count() == 49
    assert items.filter(category="general").count() == 30
    first = items.get(code="KEY-SVC-01")
    assert first.domain.code == "service_safety"
    assert first.responsible_kind.code == "civil_affairs"
    assert first.basis.startswith("GB 38600-2019")
    assert {k.code for k in first.supporting_kinds.all()} == {
        "fire_rescue", "health", "ecology_environment", "market_regulation", "housing_construction"}
    assert items.filter(domain__code="fire_safety", responsible_kind__code="fire_rescue").exists()


def test_loader_is_idempotent():
    assert load_checklist() == {"version": 1, "items": 79}
    assert ChecklistVersion.objects.filter(number=1).count() == 1
    assert ChecklistItem.objects.filter(version__number=1).count() == 79


def test_new_version_is_a_draft_copy(users):
    v1 = ChecklistVersion.objects.get(active=True)
    draft = checklist_new_version(users["civil_city"], note="2026修订")
    assert draft.is_draft and not draft.active and draft.based_on == v1 and draft.number == v1.number + 1
    assert draft.items.count() == 79
    copy = draft.items.get(code="KEY-SVC-01")
    original = v1.items.get(code="KEY-SVC-01")
    assert copy.pk != original.pk
    assert set(copy.supporting_kinds.all()) == set(original.supporting_kinds.all())
    assert AuditEvent.objects.filter(verb="checklist.new_version", object_id=str(draft.pk)).exists()


def test_publishing_a_new_version_retires_the_old_and_leaves_its_items_unchanged(users):
    actor = users["civil_city"]
    v1 = ChecklistVersion.objects.get(active=True)
    draft = checklist_new_version(actor)
    item = draft.items.get(code="KEY-SVC-02")
    checklist_item_update(actor, item, text="安全标志的设置和使用符合国家标准（修订）")
    checklist_publish(actor, draft)

    v1.refresh_from_db()
    draft.refresh_from_db()
    assert draft.active and draft.published_at is not None
    assert not v1.active and v1.published_at is not None
    assert ChecklistVersion.objects.filter(active=True).count() == 1
    assert v1.items.get(code="KEY-SVC-02").text == "安全标志的设置和使用符合GB 2893、GB 2894的要求"
    assert draft.items.get(code="KEY-SVC-02").text.endswith("（修订）")
    verbs = set(AuditEvent.objects.filter(object_type="inspections.checklistversion").values_list("verb", flat=True))
    assert {"checklist.publish", "checklist.retire"} <= verbs


def test_published_versions_are_fixed(users):
    actor = users["civil_city"]
    item = ChecklistVersion.objects.get(active=True).items.first()
    with pytest.raises(ValidationError):
        checklist_item_update(actor, item, text="改")
    with pytest.raises(ValidationError):
        checklist_publish(actor, item.version)


def test_only_civil_affairs_edits_the_catalog(users):
    with pytest.raises(PermissionDenied):
        checklist_new_version(users["fire_heping"])
    draft = checklist_new_version(users["civil_city"])
    with pytest.raises(PermissionDenied):
        checklist_publish(users["inspector_2"], draft)


@pytest.mark.parametrize("model", ["checklistversion", "checklistitem", "inspector", "inspectorconflict",
                                   "inspectionplan"])
def test_admin_pages_load(client, users, model):
    client.force_login(users["admin"])
    assert client.get(f"/admin/inspections/{model}/").status_code == 200
    assert client.get(f"/admin/inspections/{model}/add/").status_code in (200, 403)


def test_admin_version_page_lists_items_read_only(client, users):
    client.force_login(users["admin"])
    version = ChecklistVersion.objects.get(number=1)
    response = client.get(f"/admin/inspections/checklistversion/{version.pk}/change/")
    assert response.status_code == 200
    assert "KEY-SVC-01" in response.content.decode()
