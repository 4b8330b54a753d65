"""/api/v1/plans/, /api/v1/draws/ (staff, with the commit and execute actions) and /api/v1/public/draws/."""

import hashlib
import json
from decimal import Decimal

import pytest

from agencies.models import Department
from inspections.demo import PLAN_TITLE
from inspections.models import Draw
from inspections.services import draw_commit, draw_execute, plan_create, plan_publish

pytestmark = pytest.mark.django_db


def heping(kind):
    return Department.objects.get(kind__code=kind, region__code="120101")


@pytest.fixture
def plan(users):
    created = plan_create(users["civil_heping"], year=2026, title="接口测试计划", sampling_ratio=Decimal("0.5"),
                          participating_departments=[heping("fire_rescue"), heping("market_regulation")])
    return plan_publish(users["civil_heping"], created)


@pytest.fixture
def demo_draw():
    return Draw.objects.get(plan__title=PLAN_TITLE, number=1)


def test_commit_and_execute_through_the_api(api, plan):
    client = api("civil_heping")
    response = client.post(f"/api/v1/plans/{plan.pk}/commit/", {"count": 1}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    draw = Draw.objects.get(pk=body["id"])
    assert body["state"] == "committed" and body["seed"] is None and body["result"] is None
    assert body["commitment_hash"] == draw.commitment_hash
    for url in (f"/api/v1/draws/{draw.pk}/", "/api/v1/draws/", f"/api/v1/public/draws/{draw.pk}/",
                "/api/v1/public/draws/", f"/api/v1/public/draws/{draw.pk}/verify/"):
        content = client.get(url).content.decode()
        assert draw.commitment_hash in content or url.endswith("verify/")
        assert draw.secret_seed not in content, url
    assert client.get(f"/api/v1/public/draws/{draw.pk}/verify/").json()["ok"] is None

    response = client.post(f"/api/v1/draws/{draw.pk}/execute/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "executed" and body["seed"] == draw.secret_seed
    assert len(body["assignments"]) == 1 and body["assignments"][0]["inspectors"][0]["name"]
    # Kept once per draw, still shown with each team as before.
    assert body["assignments"][0]["required_departments"] == json.loads(draw.input_json)["rules"][
        "required_department_ids"] != []
    assert body["result"]["result_hash"] == body["result_hash"]

    again = client.post(f"/api/v1/draws/{draw.pk}/execute/")
    assert again.status_code == 400 and "state" in again.json()
    assert Draw.objects.get(pk=draw.pk).result_hash == body["result_hash"]


def test_commit_errors_name_the_field(api, plan):
    response = api("civil_heping").post(f"/api/v1/plans/{plan.pk}/commit/", {"count": 99}, format="json")
    assert response.status_code == 400 and "count" in response.json()


@pytest.mark.parametrize("username, status", [
    ("fire_heping", 403), ("inspector_1", 403), ("civil_hexi", 404), ("leader_heping", 404), (None, 401)])
def test_only_civil_affairs_staff_over_the_region_commit_and_execute(api, token_api, users, plan, username, status):
    client = token_api(username) if username else api(None)
    assert client.post(f"/api/v1/plans/{plan.pk}/commit/", {}, format="json").status_code == status
    draw = draw_commit(users["civil_heping"], plan)
    assert client.post(f"/api/v1/draws/{draw.pk}/execute/").status_code == status
    assert Draw.objects.get(pk=draw.pk).state == "committed"


def test_the_public_api_publishes_what_anyone_needs_to_re_run(api, demo_draw):
    client = api(None)
    body = client.get(f"/api/v1/public/draws/{demo_draw.pk}/").json()
    assert hashlib.sha256(body["input_json"].encode()).hexdigest() == body["input_hash"] == demo_draw.input_hash
    assert body["seed"] == demo_draw.secret_seed and hashlib.sha256(bytes.fromhex(body["seed"])).hexdigest() \
        == body["seed_hash"]
    # The public sees inspector ids and departments, as in the input, but no names.
    assert all("name" not in i for a in body["assignments"] for i in a["inspectors"])
    assert client.get(f"/api/v1/public/draws/{demo_draw.pk}/verify/").json()["ok"] is True


def test_the_public_verify_endpoint_reports_a_changed_input(api, demo_draw):
    doc = json.loads(demo_draw.input_json)
    doc["rules"]["count"] = 1
    Draw.objects.filter(pk=demo_draw.pk).update(
        input_json=json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    body = api(None).get(f"/api/v1/public/draws/{demo_draw.pk}/verify/").json()
    assert body["ok"] is False and body["differences"]
    assert body["input_hash"] != demo_draw.input_hash


def test_draws_of_draft_plans_are_not_public(api, users):
    draft = plan_create(users["civil_heping"], year=2026, title="接口草稿")
    assert api(None).get("/api/v1/public/draws/").json()["count"] == Draw.objects.filter(
        plan__state="published").count()
    assert draft.pk not in [d["plan"] for d in api(None).get("/api/v1/public/draws/").json()["results"]]


def _more_draws(users, n):
    for i in range(n):
        extra = plan_publish(users["civil_heping"], plan_create(
            users["civil_heping"], year=2026, title=f"接口计数计划{i}",
            participating_departments=[heping("fire_rescue")]))
        draw_execute(users["civil_heping"], draw_commit(users["civil_heping"], extra, count=2))


@pytest.mark.parametrize("username, url, limit", [
    # 5 = the token + the caller's staff profile + its department (the read rule) + COUNT(*) + the page.
    ("civil_heping", "/api/v1/draws/", 5),
    # 7 = the token + staff profile + department + COUNT(*) + the page + participating departments + draws.
    ("civil_heping", "/api/v1/plans/", 7),
    # 2 = COUNT(*) + the page; no authentication for the public.
    (None, "/api/v1/public/draws/", 2),
])
def test_list_endpoints_cost_the_same_for_one_row_and_many(api, token_api, users, django_assert_max_num_queries,
                                                           username, url, limit):
    _more_draws(users, 2)
    client = token_api(username) if username else api(None)
    client.get(url)
    with django_assert_max_num_queries(limit) as one:
        assert len(client.get(url, {"page_size": 1}).json()["results"]) == 1
    with django_assert_max_num_queries(limit) as many:
        assert len(client.get(url, {"page_size": 50}).json()["results"]) >= 3
    assert len(one.captured_queries) == len(many.captured_queries)
