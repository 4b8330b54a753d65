"""The admin reads through the one permission entry point, and its edits change scopes at once."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.urls import reverse

from agencies.choices import Action, StaffRole
from agencies.models import AuditEvent, CalendarDay, CalendarYear, Department, Domain, Duty
from agencies.services import staff_create
from inspections.models import Finding
from institutions.models import Institution

pytestmark = pytest.mark.django_db

SEED_001 = "001_22f67871987645f0.txt"


def form_data(response) -> dict:
    """The POST body a browser would send back for the admin form on `response`, unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def last_message(response):
    """The message this response added (earlier unread ones stay queued in the session)."""
    return list(get_messages(response.wsgi_request))[-1]


@pytest.fixture
def superuser_client(client, users):
    client.force_login(users["admin"])
    return client


@pytest.fixture
def fire_admin(db):
    """A department admin of 和平区消防救援支队 (fire_heping's department) with only the view permission on findings."""
    department = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    user = staff_create("fire_admin_heping", "unused-password-123", department, StaffRole.ADMIN,
                        "和平区消防救援支队 管理员", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_finding", content_type__app_label="inspections"))
    return user


# ------------------------------------------------------------------------------------------ changelists


@pytest.mark.parametrize(("url_name", "model", "max_queries"), [
    ("admin:agencies_duty_changelist", Duty, 12),
    ("admin:institutions_institution_changelist", Institution, 8),
    ("admin:inspections_finding_changelist", Finding, 7),
])
def test_superuser_changelists_load_in_a_fixed_number_of_queries(superuser_client, django_assert_max_num_queries,
                                                                  url_name, model, max_queries):
    # Each page shows dozens of rows (92 duties, 64 institutions, a full page of findings); a query per row
    # would blow far past these bounds.
    with django_assert_max_num_queries(max_queries):
        response = superuser_client.get(reverse(url_name))
    assert response.status_code == 200
    shown = len(response.context["cl"].result_list)
    assert shown == min(model.objects.count(), response.context["cl"].list_per_page)
    assert shown > 50


def test_duty_changelist_filters_and_searches(superuser_client):
    url = reverse("admin:agencies_duty_changelist")
    by_seed = superuser_client.get(url, {"seed": SEED_001})
    assert {d.source_seed for d in by_seed.context["cl"].result_list} == {SEED_001}
    fire = Domain.objects.get(code="fire_safety")
    by_domain = superuser_client.get(url, {"domains__id__exact": fire.pk})
    assert by_domain.context["cl"].result_list
    assert all(fire in d.domains.all() for d in by_domain.context["cl"].result_list)
    found = superuser_client.get(url, {"q": "001-14"})
    assert [d.task_no for d in found.context["cl"].result_list] == ["001-14"]


# ------------------------------------------------------------------------------------------ a department admin


def test_department_admin_lists_only_its_scope(client, fire_admin, users):
    client.force_login(fire_admin)
    response = client.get(reverse("admin:inspections_finding_changelist"))
    assert response.status_code == 200
    listed = {f.pk for f in response.context["cl"].result_list}
    assert listed == set(Finding.objects.restrict(users["fire_heping"], Action.VIEW).values_list("pk", flat=True))
    # Independently of the engine: all of 和平区, including every 和平区 消防 finding, nothing of 河西区 or 食品.
    heping_fire = set(Finding.objects.filter(region_code="120101", domain__code="fire_safety")
                      .values_list("pk", flat=True))
    assert heping_fire and heping_fire <= listed
    assert set(Finding.objects.filter(pk__in=listed).values_list("region_code", flat=True)) == {"120101"}
    assert not Finding.objects.filter(pk__in=listed, domain__code="food_safety").exists()
    assert len(listed) < Finding.objects.count()


def test_department_admin_gets_the_missing_object_answer_for_out_of_scope_findings(client, fire_admin):
    client.force_login(fire_admin)
    missing_id = Finding.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    missing = client.get(reverse("admin:inspections_finding_change", args=[missing_id]))
    # Django 5.2's answer for an id that does not exist: a warning and a redirect to the admin index.
    assert missing.status_code == 302
    assert missing["Location"] == reverse("admin:index")
    missing_message = last_message(missing)
    assert missing_message.level == message_levels.WARNING

    out_of_scope = [
        Finding.objects.filter(region_code="120103", domain__code="fire_safety").first(),  # 河西区
        Finding.objects.filter(region_code="120101", domain__code="food_safety").first(),  # another domain
    ]
    for finding in out_of_scope:
        response = client.get(reverse("admin:inspections_finding_change", args=[finding.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
        message = last_message(response)
        assert message.level == message_levels.WARNING
        # Word for word the missing-object message: the admin does not reveal that the record exists.
        assert message.message.replace(str(finding.pk), "#") == missing_message.message.replace(str(missing_id), "#")

    in_scope = Finding.objects.filter(region_code="120101", domain__code="fire_safety").first()
    response = client.get(reverse("admin:inspections_finding_change", args=[in_scope.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]  # a view permission only: read-only page


def test_superuser_opens_the_same_findings(superuser_client):
    finding = Finding.objects.filter(region_code="120103", domain__code="fire_safety").first()
    assert superuser_client.get(reverse("admin:inspections_finding_change", args=[finding.pk])).status_code == 200


def test_department_admin_institutions_follow_the_engine(client, fire_admin, users):
    fire_admin.user_permissions.add(Permission.objects.get(codename="view_institution"))
    client.force_login(fire_admin)
    response = client.get(reverse("admin:institutions_institution_changelist"))
    listed = {i.pk for i in response.context["cl"].result_list}
    assert listed == set(Institution.objects.restrict(users["fire_heping"], Action.VIEW).values_list("pk", flat=True))
    assert {i.region.code for i in Institution.objects.filter(pk__in=listed)} == {"120101"}
    hexi = Institution.objects.filter(region__code="120103").first()
    assert client.get(reverse("admin:institutions_institution_change", args=[hexi.pk])).status_code == 302


def test_department_admin_may_not_record_a_finding_outside_its_duties(client, fire_admin):
    for codename in ("add_finding", "view_institution"):
        fire_admin.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(fire_admin)
    institution = Institution.objects.filter(region__code="120101").first()
    url = reverse("admin:inspections_finding_add")
    food = client.post(url, {"institution": institution.pk, "domain": Domain.objects.get(code="food_safety").pk,
                             "text": "后厨卫生不达标"})
    assert food.status_code == 200 and food.context["adminform"].form.non_field_errors()
    fire = client.post(url, {"institution": institution.pk, "domain": Domain.objects.get(code="fire_safety").pk,
                             "text": "疏散通道堵塞"})
    assert fire.status_code == 302
    created = Finding.objects.get(text="疏散通道堵塞")
    assert created.region_code == "120101" and created.created_by == fire_admin


# ------------------------------------------------------------------------------------------ duty edits


def test_editing_a_duty_in_the_admin_changes_scopes_at_once(superuser_client, users):
    fire_heping = users["fire_heping"]
    heping_food = Finding.objects.filter(region_code="120101", domain__code="food_safety")
    assert not Finding.objects.restrict(fire_heping, Action.VIEW).filter(domain__code="food_safety").exists()

    # 001-14 names the fire service alone, so it gives fire_rescue every domain it lists.
    duty = Duty.objects.get(source_seed=SEED_001, task_no="001-14")
    url = reverse("admin:agencies_duty_change", args=[duty.pk])
    data = form_data(superuser_client.get(url))
    data["domains"] = [*data["domains"], str(Domain.objects.get(code="food_safety").pk)]
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    visible = Finding.objects.restrict(fire_heping, Action.VIEW).filter(domain__code="food_safety")
    assert set(visible.values_list("pk", flat=True)) == set(heping_food.values_list("pk", flat=True))
    event = AuditEvent.objects.get(verb="duty.change", object_id=str(duty.pk))
    assert "food_safety" not in event.before["domains"] and "food_safety" in event.after["domains"]


def test_duty_form_edits_actions_and_conditions_as_checkboxes(superuser_client):
    duty = Duty.objects.get(source_seed=SEED_001, task_no="001-14")
    url = reverse("admin:agencies_duty_change", args=[duty.pk])
    data = form_data(superuser_client.get(url))

    without_view = superuser_client.post(url, {**data, "actions": ["inspect"]})
    assert "actions" in without_view.context["adminform"].form.errors
    unknown = superuser_client.post(url, {**data, "actions": ["view", "demolish"]})
    assert "actions" in unknown.context["adminform"].form.errors
    bad_fact = superuser_client.post(url, {**data, "applies_if": ["owns_a_yacht"]})
    assert "applies_if" in bad_fact.context["adminform"].form.errors

    response = superuser_client.post(url, {**data, "actions": ["inspect", "view"],
                                           "applies_if": ["has_special_equipment", "provides_meals"]})
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.actions == ["view", "inspect"]  # stored in the catalog's order
    assert duty.applies_if == ["provides_meals", "has_special_equipment"]


def test_deleting_duties_with_the_bulk_action_is_audited(superuser_client):
    duty = Duty.objects.get(source_seed=SEED_001, task_no="001-14")
    response = superuser_client.post(reverse("admin:agencies_duty_changelist"), {
        "action": "delete_selected", "_selected_action": [duty.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Duty.objects.filter(pk=duty.pk).exists()
    event = AuditEvent.objects.get(verb="duty.delete", object_id=str(duty.pk))
    assert event.before["department_kinds"] == ["fire_rescue"]


# ------------------------------------------------------------------------------------------ staff, institutions


def test_moving_staff_to_another_department_moves_their_hand_offs(superuser_client, fire_admin):
    handed = Finding.objects.filter(region_code="120101", domain__code="special_equipment").order_by("pk").first()
    assert Finding.objects.restrict(fire_admin, Action.VIEW).filter(pk=handed.pk).exists()  # the group grant
    hexi_civil = Department.objects.get(kind__code="civil_affairs", region__code="120103")
    url = reverse("admin:agencies_staffprofile_change", args=[fire_admin.staff_profile.pk])
    data = form_data(superuser_client.get(url))
    response = superuser_client.post(url, {**data, "department": hexi_civil.pk})
    assert response.status_code == 302
    fire_admin.refresh_from_db()
    assert list(fire_admin.groups.all()) == [hexi_civil.group]
    assert not Finding.objects.restrict(fire_admin, Action.VIEW).filter(pk=handed.pk).exists()
    assert AuditEvent.objects.filter(verb="staff.assign", object_id=str(fire_admin.staff_profile.pk)).exists()


def test_institution_edit_goes_through_the_service_and_records_follow(superuser_client,
                                                                      django_capture_on_commit_callbacks):
    institution = Institution.objects.filter(region__code="120101", provides_meals=False).first()
    url = reverse("admin:institutions_institution_change", args=[institution.pk])
    data = form_data(superuser_client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(url, {**data, "provides_meals": "on"})
    assert response.status_code == 302
    institution.refresh_from_db()
    assert institution.provides_meals
    assert set(Finding.objects.filter(institution=institution).values_list("institution_facts", flat=True)) == {
        institution.facts}
    event = AuditEvent.objects.get(verb="institution.update", object_id=str(institution.pk))
    assert event.after["provides_meals"] is True


def test_audit_events_are_read_only(superuser_client):
    assert superuser_client.get(reverse("admin:agencies_auditevent_changelist")).status_code == 200
    assert superuser_client.get(reverse("admin:agencies_auditevent_add")).status_code == 403


# ------------------------------------------------------------------------------------------ calendar warning


WARNING_BOX = 'id="calendar-warnings"'


@pytest.fixture
def late_2026(monkeypatch):
    monkeypatch.setattr("agencies.calendar._local_today", lambda: dt.date(2026, 11, 25))


def test_admin_index_warns_until_2027_is_entered(superuser_client, late_2026):
    index = reverse("admin:index")
    response = superuser_client.get(index)
    html = response.content.decode()
    assert WARNING_BOX in html
    assert "2027 年的法定节假日和调休安排尚未录入" in html
    assert 'id="content-main"' in html  # the stock index is still there

    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_working_day=False, name="元旦")
    assert WARNING_BOX in superuser_client.get(index).content.decode()  # days entered, year not complete
    CalendarYear.objects.create(year=2027, complete=True)
    html = superuser_client.get(index).content.decode()
    assert WARNING_BOX not in html and "2027 年" not in html


def test_admin_index_warning_is_only_for_those_who_can_fix_it(client, fire_admin, late_2026):
    client.force_login(fire_admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert WARNING_BOX not in response.content.decode()


def test_calendar_year_cannot_be_marked_complete_with_nothing_entered(superuser_client):
    url = reverse("admin:agencies_calendaryear_add")
    response = superuser_client.post(url, {"year": 2028, "complete": "on", "note": ""})
    assert response.status_code == 200 and response.context["adminform"].form.non_field_errors()
    CalendarDay.objects.create(date=dt.date(2028, 1, 1), is_working_day=False, name="元旦")
    assert superuser_client.post(url, {"year": 2028, "complete": "on", "note": ""}).status_code == 302


@pytest.mark.parametrize("url", ["/admin/institutions/filing/", "/admin/institutions/onsitecheck/"])
def test_filing_changelists_load_read_only(client, users, url, django_assert_max_num_queries):
    client.force_login(users["admin"])
    # session, user, the page (select_related), its count, and the admin's own bookkeeping
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert client.get(url + "add/").status_code == 403  # changes go through the filing services only
