"""Token authentication (DESIGN §6) and who may call what without logging in."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from .conftest import fetch_all

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
STAFF_ENDPOINTS = ["/api/v1/regions/", "/api/v1/departments/", "/api/v1/domains/", "/api/v1/duties/",
                   "/api/v1/institutions/", "/api/v1/findings/"]
PUBLIC_ENDPOINTS = ["/api/v1/public/duties/", "/api/v1/public/domains/", "/api/v1/public/"]


def test_token_round_trip_sees_what_the_session_sees(api):
    response = APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert list(response.json()) == ["token"] and len(token) == 40

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    by_token = {f["id"] for f in fetch_all(client, "/api/v1/findings/")}
    by_session = {f["id"] for f in fetch_all(api("fire_heping"), "/api/v1/findings/")}
    assert by_token and by_token == by_session

    # JSON works as well as a form, and asking again gives the same token.
    again = APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": settings.DEMO_PASSWORD},
                             format="json")
    assert again.json() == {"token": token}


def test_bad_password_is_a_400_naming_the_problem():
    response = APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": "wrong-password"},
                                HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert "token" not in response.json()


def test_bad_password_message_defaults_to_chinese():
    response = APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": "wrong-password"})
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert message != "Unable to log in with provided credentials." and "登录" in message


def test_missing_password_names_the_field():
    response = APIClient().post(TOKEN_URL, {"username": "fire_heping"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_inactive_user_gets_no_token(users):
    user = users["civil_hexi"]
    user.is_active = False
    user.save()
    response = APIClient().post(TOKEN_URL, {"username": "civil_hexi", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 400


def test_token_endpoint_is_throttled(monkeypatch):
    # The rate is read from settings when DRF is imported; patch it on the class for the test.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth-token": "3/min"})
    # A made-up X-Forwarded-For per attempt does not make a new client: only a configured proxy's counts.
    codes = [APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": "guess"},
                              HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
             for n in range(4)]
    assert codes == [400, 400, 400, 429]
    # The limit holds for right passwords too: the throttle is per address, not per outcome.
    right = APIClient().post(TOKEN_URL, {"username": "fire_heping", "password": settings.DEMO_PASSWORD})
    assert right.status_code == 429


@pytest.mark.parametrize("url", STAFF_ENDPOINTS)
def test_staff_endpoints_need_a_login(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("url", STAFF_ENDPOINTS)
def test_a_wrong_token_is_refused(url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("url", PUBLIC_ENDPOINTS)
def test_public_endpoints_answer_without_login(url):
    response = APIClient().get(url)
    assert response.status_code == 200
    assert response.json()


def test_public_endpoints_are_read_only():
    client = APIClient()
    assert client.post("/api/v1/public/duties/", {"task_no": "99"}).status_code == 405
    assert client.delete("/api/v1/public/domains/fire_safety/").status_code == 405


def test_api_root_lists_every_app_router():
    from portal.api_urls import public_routers, staff_routers

    root = APIClient().get("/api/v1/").json()
    registered = {prefix for router in staff_routers for prefix, _viewset, _basename in router.registry}
    assert {"regions", "departments", "domains", "duties", "institutions", "findings"} <= registered
    assert set(root) == registered | {"public"}
    # Links point into the API, not at the web shell's pages of the same name.
    assert root["findings"].endswith("/api/v1/findings/")
    assert root["public"].endswith("/api/v1/public/")
    public = {prefix for router in public_routers for prefix, _viewset, _basename in router.registry}
    assert {"duties", "domains", "institutions"} <= public
    assert set(APIClient().get("/api/v1/public/").json()) == public


def test_browsable_api_renders_for_a_logged_in_user(api):
    response = api("civil_city").get("/api/v1/duties/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_each_user_has_its_own_token():
    tokens = {name: APIClient().post(TOKEN_URL, {"username": name, "password": settings.DEMO_PASSWORD}).json()["token"]
              for name in ("fire_heping", "civil_hexi")}
    assert tokens["fire_heping"] != tokens["civil_hexi"]
    assert get_user_model().objects.get(auth_token__key=tokens["civil_hexi"]).username == "civil_hexi"
