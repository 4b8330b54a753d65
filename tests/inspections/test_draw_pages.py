"""Plan and draw pages: who may act (403/404), the secret seed stays secret, the public re-run says 一致/不一致,
and list pages cost the same number of queries for one row and for many."""

import hashlib
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from agencies.models import Department
from inspections.choices import DrawState, PlanState
from inspections.demo import PLAN_TITLE
from inspections.models import ChecklistVersion, Draw, InspectionPlan
from inspections.services import draw_commit, draw_execute, plan_create, plan_publish

pytestmark = pytest.mark.django_db

HEPING = "120101"


def heping(kind):
    return Department.objects.get(kind__code=kind, region__code=HEPING)


@pytest.fixture
def demo_draw():
    return Draw.objects.get(plan__title=PLAN_TITLE, number=1)


@pytest.fixture
def plan(users):
    created = plan_create(users["civil_heping"], year=2026, title="页面测试计划",
                          participating_departments=[heping("fire_rescue"), heping("market_regulation")],
                          sampling_ratio=Decimal("0.25"))
    return plan_publish(users["civil_heping"], created)


def login(client, user):
    client.force_login(user)
    return client


def test_the_public_sees_the_commitment_but_never_the_seed_before_execution(client, users, plan):
    draw = draw_commit(users["civil_heping"], plan)
    for url in (reverse("public-draw-detail", args=[draw.pk]), reverse("public-draw-verify", args=[draw.pk]),
                reverse("public-draw-list")):
        html = client.get(url).content.decode()
        assert draw.commitment_hash in html
        assert draw.secret_seed not in html
    html = client.get(reverse("public-draw-detail", args=[draw.pk])).content.decode()
    assert draw.seed_hash in html and draw.input_hash in html and "保密，抽取后公开" in html
    assert "尚不能核验" in client.get(reverse("public-draw-verify", args=[draw.pk])).content.decode()
    assert client.get(reverse("public-draw-result", args=[draw.pk])).status_code == 404
    # The staff pages do not show it either, not even to the bureau that holds it.
    staff = login(client, users["civil_heping"])
    for url in (reverse("draw-detail", args=[draw.pk]), reverse("plan-detail", args=[plan.pk])):
        assert draw.secret_seed not in staff.get(url).content.decode()


def test_the_downloaded_input_is_the_committed_bytes(client, demo_draw):
    response = client.get(reverse("public-draw-input", args=[demo_draw.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert hashlib.sha256(response.content).hexdigest() == demo_draw.input_hash
    result = client.get(reverse("public-draw-result", args=[demo_draw.pk]))
    assert json.loads(result.content)["result_hash"] == demo_draw.result_hash


def test_after_execution_the_public_page_shows_seed_and_teams_without_names(client, demo_draw):
    html = client.get(reverse("public-draw-detail", args=[demo_draw.pk])).content.decode()
    assert demo_draw.secret_seed in html and demo_draw.result_hash in html
    for assignment in demo_draw.assignments.all():
        assert assignment.institution.name in html
        for inspector in assignment.inspectors.all():
            assert f"检查人员{inspector.pk}号" in html
            assert inspector.display_name not in html  # personal names stay on the staff side
            if inspector.certificate_number:
                assert inspector.certificate_number not in html


def test_online_verification_says_consistent(client, demo_draw):
    html = client.get(reverse("public-draw-verify", args=[demo_draw.pk])).content.decode()
    assert "核验结果：一致" in html and demo_draw.result_hash in html


def test_a_changed_stored_input_shows_inconsistent(client, demo_draw):
    doc = json.loads(demo_draw.input_json)
    doc["rules"]["team_size_min"] = 4
    Draw.objects.filter(pk=demo_draw.pk).update(
        input_json=json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    html = client.get(reverse("public-draw-verify", args=[demo_draw.pk])).content.decode()
    assert "核验结果：不一致" in html and "核验结果：一致" not in html
    assert "input hash" in html or "输入" in html


def test_draws_of_a_draft_plan_are_not_public(client, users):
    draft = plan_create(users["civil_heping"], year=2026, title="草稿计划")
    assert draft.state == PlanState.DRAFT
    assert "草稿计划" not in client.get(reverse("public-draw-list")).content.decode()


def test_two_step_draw_through_the_pages(client, users, plan):
    staff = login(client, users["civil_heping"])
    html = staff.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "公布承诺并抽取" in html and "第一步：公布承诺" in html
    response = staff.post(reverse("draw-commit", args=[plan.pk]), {"count": 1, "team_size_min": 2})
    draw = plan.draws.get()
    assert response.status_code == 302 and response["Location"] == reverse("draw-detail", args=[draw.pk])
    assert "第二步：抽取并公开种子" in staff.get(response["Location"]).content.decode()
    assert staff.post(reverse("draw-execute", args=[draw.pk])).status_code == 302
    draw.refresh_from_db()
    assert draw.state == DrawState.EXECUTED
    result = (draw.result_hash, draw.executed_at)
    # Executing again: one result, and a clear message.
    response = staff.post(reverse("draw-execute", args=[draw.pk]), follow=True)
    assert "抽取不能从" in response.content.decode()
    draw.refresh_from_db()
    assert (draw.result_hash, draw.executed_at) == result and draw.assignments.count() == 1


def test_a_bad_commit_names_the_field_and_keeps_the_input(client, users, plan):
    staff = login(client, users["civil_heping"])
    response = staff.post(reverse("draw-commit", args=[plan.pk]), {"count": 9, "team_size_min": 3})
    assert response.status_code == 400
    html = response.content.decode()
    assert "抽取家数不能超过" in html and 'value="9"' in html and 'value="3"' in html
    assert not plan.draws.exists()


@pytest.mark.parametrize("username, status", [
    ("fire_heping", 403),     # takes part in the plan, sees it, may not draw
    ("inspector_1", 403),     # civil affairs, but an inspector the draw picks
    ("leader_heping", 404),   # neither leads nor takes part
    ("civil_hexi", 404),      # another district's bureau does not even see the plan
])
def test_only_civil_affairs_staff_over_the_region_may_commit_or_execute(client, users, plan, username, status):
    draw_plan = InspectionPlan.objects.get(pk=plan.pk)
    other = login(client, users[username])
    assert other.post(reverse("draw-commit", args=[draw_plan.pk]), {"count": 1, "team_size_min": 2}).status_code \
        == status
    if username != "inspector_1":  # publishing is the catalog's rule (civil affairs), checked in test_plans.py
        assert other.post(reverse("plan-publish", args=[draw_plan.pk])).status_code == status
    assert not draw_plan.draws.exists()
    draw = draw_commit(users["civil_heping"], draw_plan)
    assert other.post(reverse("draw-execute", args=[draw.pk])).status_code == status
    assert Draw.objects.get(pk=draw.pk).state == DrawState.COMMITTED
    if status == 403:
        html = other.get(reverse("draw-detail", args=[draw.pk])).content.decode()
        assert "第二步：抽取并公开种子" not in html


def test_plan_form_errors_name_the_field_and_keep_the_input(client, users):
    staff = login(client, users["civil_heping"])
    lead = heping("civil_affairs")
    response = staff.post(reverse("plan-create"), {
        "lead_department": lead.pk, "year": 2026, "title": "比例错误的计划", "sampling_ratio": "1.5",
        "checklist_version": ChecklistVersion.objects.get(active=True).pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "比例错误的计划" in html and "invalid-feedback" in html
    assert not InspectionPlan.objects.filter(title="比例错误的计划").exists()
    assert login(client, users["fire_heping"]).get(reverse("plan-create")).status_code == 404


def test_plan_lists_show_only_the_plans_a_department_has_to_do_with(client, users, plan):
    assert plan.title in login(client, users["civil_city"]).get(reverse("plan-list")).content.decode()
    assert plan.title in login(client, users["fire_heping"]).get(reverse("plan-list")).content.decode()
    assert plan.title not in login(client, users["health_heping"]).get(reverse("plan-list")).content.decode()
    assert plan.title not in login(client, users["civil_hexi"]).get(reverse("plan-list")).content.decode()
    assert login(client, users["civil_hexi"]).get(reverse("plan-detail", args=[plan.pk])).status_code == 404


# ------------------------------------------------------------------------------------------- query counts


def _more_plans(users, n):
    for i in range(n):
        extra = plan_publish(users["civil_heping"], plan_create(
            users["civil_heping"], year=2026, title=f"查询计数计划{i}",
            participating_departments=[heping("fire_rescue"), heping("market_regulation")]))
        draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], extra, count=4))


def _count(client, url, django_assert_max_num_queries, limit):
    client.get(url)  # warm-up: session, access context
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("username, url_name, limit", [
    # 3 = the plans + two prefetches (participating departments, draws).
    (None, "public-draw-list", 3),
    # + the session, its user, the staff profile and department (read rule), the department again (may plan?),
    # the header's identity (profile with department and kind).
    ("civil_heping", "plan-list", 9),
])
def test_list_pages_cost_the_same_for_one_plan_and_many(client, users, django_assert_max_num_queries,
                                                        username, url_name, limit):
    if username:
        login(client, users[username])
    url = reverse(url_name)
    one = _count(client, url, django_assert_max_num_queries, limit)
    _more_plans(users, 3)
    many = _count(client, url, django_assert_max_num_queries, limit)
    assert one == many


def test_the_public_draw_page_costs_the_same_for_two_institutions_and_four(client, users, demo_draw, plan,
                                                                         django_assert_max_num_queries):
    # 8 = the draw + the plan + its participating departments + the required departments of the summary +
    # the assignments (with institutions) + their inspectors + the inspectors' departments + the assignments'
    # required departments. No accounts: the public page shows no names.
    two = _count(client, reverse("public-draw-detail", args=[demo_draw.pk]), django_assert_max_num_queries, 8)
    four = draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], plan, count=4))
    assert _count(client, reverse("public-draw-detail", args=[four.pk]), django_assert_max_num_queries, 8) == two


def test_the_admin_shows_a_committed_draw_without_its_seed(client, users, plan):
    draw = draw_commit(users["civil_heping"], plan)
    admin = login(client, users["admin"])
    html = admin.get(reverse("admin:inspections_draw_change", args=[draw.pk])).content.decode()
    assert draw.commitment_hash in html and draw.secret_seed not in html
    executed = Draw.objects.get(plan__title=PLAN_TITLE, number=1)
    assert executed.secret_seed in admin.get(reverse("admin:inspections_draw_change", args=[executed.pk])).content \
        .decode()
    assert admin.get(reverse("admin:inspections_draw_changelist")).status_code == 200
