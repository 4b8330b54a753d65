"""Hostile input answers 400 naming the field it is wrong in — never a 500 (issue 8, point 7).

NUL bytes (PostgreSQL refuses them in text), integers past 64 bits (past `bigint`), strings past a column's
length, impossible dates, malformed JSON and a wrong content type; sent to the API and to the public
complaint form. The fuzzing (test_fuzz_*.py) finds such answers at random; these are the named cases.
"""

import json
import uuid

import pytest
from django.core import signing
from django.urls import reverse

from complaints.antiabuse import CAPTCHA_SALT
from institutions.models import Institution

pytestmark = pytest.mark.django_db

HUGE = 2**63  # one past PostgreSQL's bigint
HUGER = 10**30
LONG = "长" * 10_000
BAD_DATES = ["2026-02-30", "not-a-date"]


@pytest.fixture
def heping_home(db):
    return Institution.objects.filter(region__code="120101").order_by("id").first()


def solved_captcha() -> dict:
    """A CAPTCHA answered right, so that the request is judged on its fields (each token answers once)."""
    return {"captcha_token": signing.dumps({"a": 7, "n": uuid.uuid4().hex}, salt=CAPTCHA_SALT),
            "captcha_answer": "7"}


def assert_names(response, field, status=400):
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert field in body, f"the answer does not name {field!r}: {body}"
    assert body[field], body


# ----------------------------------------------------------------------------------------------- the API


def complaint(heping_home, **overrides) -> dict:
    """A public complaint that is valid but for the overrides."""
    return {"category": "fees", "institution": heping_home.pk, "description": "多收了护理费，合同里没有这一项。",
            **solved_captcha(), **overrides}


@pytest.mark.parametrize("field, value", [
    ("description", "多收\x00了费用"),
    ("operator_name", "某某\x00养老院"),
    ("complainant_name", "\x00"),
])
def test_nul_byte_in_a_string_field(api, heping_home, field, value):
    response = api().post("/api/v1/public/complaints/", complaint(heping_home, **{field: value}), format="json")
    assert_names(response, field)


@pytest.mark.parametrize("value", [HUGE, HUGER, -HUGE - 1])
def test_huge_integer_in_a_body_id(api, heping_home, value):
    response = api().post("/api/v1/public/complaints/", complaint(heping_home, institution=value), format="json")
    assert_names(response, "institution")


@pytest.mark.parametrize("value", [HUGE, HUGER])
def test_huge_integer_in_a_staff_body(api, value):
    response = api("civil_heping").post("/api/v1/inspections/", {
        "institution": value, "kind": "special", "lead_department": value, "inspector_ids": [value],
        "scheduled_for": "2026-12-20"}, format="json")
    assert response.status_code == 400, response.content[:500]
    assert {"institution", "lead_department", "inspector_ids"} & set(response.json()), response.json()


@pytest.mark.parametrize("param", ["region", "page_size"])
def test_huge_integer_in_a_query_param(api, param):
    response = api("civil_city").get("/api/v1/institutions/", {param: str(HUGE)})
    if param == "page_size":  # a larger ask than 1000 rows gets 1000, however large
        assert response.status_code == 200, response.content[:500]
    else:
        assert_names(response, param)


@pytest.mark.parametrize("url", ["/api/v1/institutions/{}/", "/api/v1/findings/{}/", "/api/v1/public/institutions/{}/",
                                 "/api/v1/findings/{}/explain/"])
def test_huge_integer_as_a_path_id_is_not_found(api, url):
    # An id is a path segment: no such record, like any missing one (404), in JSON.
    response = api("civil_city").get(url.format(HUGE))
    assert response.status_code == 404 and "detail" in response.json()


def test_page_that_is_not_a_number(api):
    assert_names(api("civil_city").get("/api/v1/institutions/", {"page": "x"}), "page")
    assert_names(api("civil_city").get("/api/v1/institutions/", {"page_size": "0"}), "page_size")
    assert api("civil_city").get("/api/v1/institutions/", {"page": str(HUGE)}).status_code == 404  # past the end


@pytest.mark.parametrize("field", ["operator_name", "complainant_phone", "captcha_answer"])
def test_overlong_string_in_a_bounded_field(api, heping_home, field):
    response = api().post("/api/v1/public/complaints/", complaint(heping_home, **{field: LONG}), format="json")
    assert_names(response, field)


def test_overlong_tracking_code(api):
    response = api().post("/api/v1/public/complaints/track/", {"code": LONG, "secret": "x"}, format="json")
    assert_names(response, "code")


@pytest.mark.parametrize("value", BAD_DATES)
def test_bad_date_in_a_body(api, heping_home, value):
    response = api().post("/api/v1/public/complaints/", complaint(heping_home, occurred_on=value), format="json")
    assert_names(response, "occurred_on")


@pytest.mark.parametrize("value", BAD_DATES)
def test_bad_date_in_a_staff_body(api, value):
    response = api("civil_heping").post("/api/v1/inspections/", {
        "institution": 1, "kind": "special", "lead_department": 1, "inspector_ids": [1],
        "scheduled_for": value}, format="json")
    assert_names(response, "scheduled_for")


@pytest.mark.parametrize("param, value", [("q", "养老\x00院"), ("region_code", "12\x00"), ("unregistered", "maybe"),
                                          ("status", "x" * 10_000), ("action", "\x00")])
def test_bad_query_param(api, param, value):
    assert_names(api("civil_city").get("/api/v1/institutions/", {param: value}), param)


def test_malformed_json(api):
    response = api().generic("POST", "/api/v1/public/complaints/", '{"category": "fees", "description": ',
                             content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_json_that_is_not_an_object(api):
    response = api().post("/api/v1/public/complaints/", ["fees"], format="json")
    assert_names(response, "non_field_errors")


def test_wrong_content_type(api, heping_home):
    response = api().generic("POST", "/api/v1/public/complaints/", json.dumps(complaint(heping_home)),
                             content_type="text/plain")
    # 415 Unsupported Media Type: the request is not malformed, its format is not one the endpoint reads.
    assert response.status_code == 415
    assert "text/plain" in response.json()["detail"]


def test_unknown_api_url_answers_json(api):
    response = api("civil_city").get("/api/v1/institutions/not.a.number/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["detail"]


# ------------------------------------------------------------------------------------ the public complaint form


FORM = "complaint-public-form"


def form_data(heping_home, **overrides) -> dict:
    return {"category": "fees", "institution": str(heping_home.pk), "description": "多收了护理费，合同里没有这一项。",
            "step": "submit", **solved_captcha(), **overrides}


def assert_form_error(response, field):
    # The form comes back with what was typed and the error next to the field: 400 for the complaint form
    # (as for any invalid submission), 200 for the tracking form (a failed look-up is not a bad request).
    assert response.status_code in (200, 400), response.status_code
    form = response.context["form"]
    assert form.errors.get(field), f"no error on {field!r}: {form.errors.as_data()}"


@pytest.mark.parametrize("field, value", [
    ("description", "多收\x00了费用"),
    ("operator_name", LONG),
    ("complainant_phone", LONG),
    ("institution", str(HUGE)),
    ("institution", str(-HUGE - 1)),
    ("occurred_on", "2026-02-30"),
    ("occurred_on", "not-a-date"),
    ("region", str(HUGE)),
])
def test_complaint_form_names_the_bad_field(client, heping_home, field, value):
    assert_form_error(client.post(reverse(FORM), form_data(heping_home, **{field: value})), field)


@pytest.mark.parametrize("params", [{"q": "养老\x00院"}, {"institution": str(HUGE)}, {"q": LONG}])
def test_complaint_form_search_survives_bad_input(client, params):
    response = client.get(reverse(FORM), params)
    assert response.status_code in (200, 400), response.status_code


def test_complaint_form_search_step_with_nul_byte(client, heping_home):
    response = client.post(reverse(FORM), form_data(heping_home, step="search", q="夕阳\x00红"))
    assert response.status_code in (200, 400), response.status_code


def test_public_search_with_nul_byte(client):
    response = client.get(reverse("public-search"), {"q": "夕阳\x00红"})
    assert response.status_code == 200 and "夕阳红" in response.content.decode()


@pytest.mark.parametrize("field, value", [("code", LONG), ("secret", "\x00")])
def test_tracking_form_names_the_bad_field(client, field, value):
    response = client.post(reverse("complaint-public-track"), {"code": "ABC", "secret": "DEF", field: value})
    assert_form_error(response, field)
