"""Authentication and session policy (issue 8 item 1), security events in the audit trail (item 2),
headers (item 3): each rule tried against the real middleware, views and backends."""

import base64
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP

from agencies.models import AuditEvent, LoginSession, PasswordRecord
from agencies.security import AUTH_AT, SEEN_AT, CharacterClassValidator

pytestmark = pytest.mark.django_db
PASSWORD = settings.DEMO_PASSWORD


def login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def events(verb, **filters):
    return AuditEvent.objects.filter(verb=verb, **filters)


def code_for(bin_key, steps_ahead=0):
    totp = TOTP(bin_key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


# ------------------------------------------------------------------------------------------ audit of auth


def test_login_logout_and_failed_login_are_audited(client, users):
    assert login(client, "civil_heping", "wrong-password-x").status_code == 200
    failed = events("auth.login_failed").latest("id")
    assert failed.after["username"] == "civil_heping" and failed.after["ip"] == "10.0.0.1"
    assert login(client, "civil_heping").status_code == 302
    logged_in = events("auth.login", actor=users["civil_heping"]).latest("id")
    assert logged_in.department is not None and logged_in.actor_name == "civil_heping"
    client.post("/accounts/logout/")
    assert events("auth.logout", actor=users["civil_heping"]).exists()


def test_a_refused_request_is_audited(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["civil_heping"])
    response = client.post("/accounts/logout/")  # no CSRF token: 403
    assert response.status_code == 403
    denied = events("access.denied", actor=users["civil_heping"]).latest("id")
    assert denied.after["path"] == "/accounts/logout/" and denied.after["method"] == "POST"


def test_the_excel_export_is_audited(client, users):
    client.force_login(users["civil_heping"])
    response = client.get("/institutions/export.xlsx", {"q": "和平"})
    assert response.status_code == 200
    export = events("institution.export", actor=users["civil_heping"]).latest("id")
    assert export.after["format"] == "xlsx" and "q=" in export.after["query"]


def test_a_permission_grant_is_audited(users):
    from django.contrib.auth.models import Permission

    from institutions.models import Institution, InstitutionUserObjectPermission

    institution = Institution.objects.order_by("id").last()
    permission = Permission.objects.get(codename="view_institution")
    grant = InstitutionUserObjectPermission.objects.create(user=users["inst_1"], permission=permission,
                                                           content_object=institution)
    row = events("grant.create", object_type="institutions.institutionuserobjectpermission",
                 object_id=str(grant.pk)).get()
    assert row.after == {"permission": "view_institution", "object": str(institution.pk),
                         "to": f"user:{users['inst_1'].pk}"}
    grant_id = grant.pk
    grant.delete()
    assert events("grant.delete", object_id=str(grant_id)).get().before["permission"] == "view_institution"


# ------------------------------------------------------------------------------------------ lockout


def test_lockout_locks_the_username_and_address_pair_only(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "civil_heping", "wrong-password-x", ip="203.0.113.9")
    # Even the right password is refused from that address, with the Chinese lockout page.
    locked = login(client, "civil_heping", ip="203.0.113.9")
    assert locked.status_code == 429
    assert "已暂停登录 15 分钟" in locked.content.decode()
    assert events("auth.locked_out", object_id="civil_heping").exists()
    # The real user, elsewhere, is not locked out by the attacker.
    assert login(Client(), "civil_heping", ip="198.51.100.7").status_code == 302
    # Nor is another user at the attacker's address.
    assert login(Client(), "fire_heping", ip="203.0.113.9").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, users):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "civil_heping", "wrong-password-x", ip="203.0.113.9")
    assert login(client, "civil_heping", ip="203.0.113.9").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert login(client, "civil_heping", ip="203.0.113.9").status_code == 302


def test_the_api_token_endpoint_is_locked_too(api, users):
    client = api()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "civil_heping", "password": "wrong-password-x"},
                    REMOTE_ADDR="203.0.113.10")
    response = client.post("/api/v1/auth/token/", {"username": "civil_heping", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.10")
    assert response.status_code in (400, 429) and "token" not in response.json()


# ------------------------------------------------------------------------------------------ sessions


def age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_a_staff_session_ends_after_the_idle_timeout(client, users):
    client.force_login(users["civil_heping"])
    assert client.get("/staff/").status_code == 200
    age_session(client, **{SEEN_AT: settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 + 5})
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert events("auth.session_expired", actor=users["civil_heping"]).latest("id").after == {"reason": "idle"}
    assert client.get("/staff/").status_code == 302  # really logged out


def test_activity_keeps_a_staff_session_alive(client, users):
    client.force_login(users["civil_heping"])
    age_session(client, **{SEEN_AT: settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 - 90})
    assert client.get("/staff/").status_code == 200  # within the limit: the idle clock restarts
    assert time.time() - client.session[SEEN_AT] < 5


def test_an_institution_account_has_no_staff_idle_timeout(client, users):
    client.force_login(users["inst_1"])
    age_session(client, **{SEEN_AT: settings.STAFF_IDLE_TIMEOUT_MINUTES * 60 + 5})
    assert client.get("/staff/").status_code == 200


def test_every_session_ends_at_its_absolute_lifetime(client, users):
    client.force_login(users["inst_1"])
    age_session(client, **{AUTH_AT: settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600 + 5, SEEN_AT: 0})
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert events("auth.session_expired", actor=users["inst_1"]).latest("id").after == {"reason": "absolute"}


def test_an_administrator_ends_a_users_sessions(client, users):
    victim = Client()
    victim.force_login(users["fire_heping"])
    assert victim.get("/staff/").status_code == 200
    assert LoginSession.objects.filter(user=users["fire_heping"]).exists()
    client.force_login(users["admin"])
    response = client.post("/admin/auth/user/", {"action": "end_user_sessions",
                                                  "_selected_action": [users["fire_heping"].pk]})
    assert response.status_code == 302
    assert victim.get("/staff/").status_code == 302
    assert events("auth.sessions_ended", object_id=str(users["fire_heping"].pk)).latest("id").after["reason"] == \
        "administrator"


def test_deactivating_a_user_ends_their_sessions(users):
    victim = Client()
    victim.force_login(users["fire_heping"])
    session_key = victim.session.session_key
    user = users["fire_heping"]
    user.is_active = False
    user.save()
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert victim.get("/staff/").status_code == 302


# ------------------------------------------------------------------------------------------ passwords


def test_asvs_password_policy_length_and_common_passwords_not_composition():
    with pytest.raises(ValidationError):
        validate_password("Sh0rt!pw")  # under 12
    with pytest.raises(ValidationError):
        validate_password("password1234")  # a common password
    validate_password("长城 长江 黄河 泰山 abc")  # long, no required character classes
    validate_password("correcthorsebatterystaple")


def test_dengbao_complexity_validator():
    validator = CharacterClassValidator(classes=3)
    with pytest.raises(ValidationError):
        validator.validate("correcthorsebatterystaple")
    validator.validate("Correct-horse-battery-9")


def test_dengbao_rotation_sends_an_expired_password_to_the_change_form(client, users):
    PasswordRecord.objects.update_or_create(user=users["civil_heping"],
                                            defaults={"changed_at": timezone.now() - timedelta(days=91)})
    with override_settings(PASSWORD_MAX_AGE_DAYS=90):
        client.force_login(users["civil_heping"])
        response = client.get("/staff/")
        assert response.status_code == 302 and response.url == "/accounts/password/"
        response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "Xin-mima-2026-q4",
                                                        "new_password2": "Xin-mima-2026-q4"})
        assert response.status_code == 302
        assert client.get("/staff/").status_code == 200
    record = PasswordRecord.objects.get(user=users["civil_heping"])
    assert timezone.now() - record.changed_at < timedelta(minutes=1)


# ------------------------------------------------------------------------------------------ second factor


def enrol_secret(page) -> bytes:
    secret = re.search(r'data-secret="([A-Z2-7=]+)"', page.content.decode()).group(1)
    return base64.b32decode(secret)


@override_settings(PORTAL_REQUIRE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_staff_enrol_then_verify_then_reach_the_staff_page(client, users):
    assert login(client, "civil_heping").status_code == 302
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/enrol/")
    assert client.get("/institutions/export.xlsx").status_code == 302  # nothing else either
    page = client.get(response.url)
    assert page.status_code == 200 and 'src="data:image/svg+xml;base64,' in page.content.decode()
    key = enrol_secret(page)
    bad = client.post("/accounts/2fa/enrol/", {"token": "000000" if code_for(key) != "000000" else "111111",
                                                "next": "/staff/"})
    assert bad.status_code == 200 and "验证码不正确" in bad.content.decode()
    done = client.post("/accounts/2fa/enrol/", {"token": code_for(key), "next": "/staff/"})
    assert done.status_code == 302 and done.url == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert events("auth.2fa_enrol", actor=users["civil_heping"]).exists()

    # The next login asks for a code (the device is confirmed now).
    other = Client()
    assert login(other, "civil_heping").status_code == 302
    response = other.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/verify/")
    wrong = other.post("/accounts/2fa/verify/", {"token": "12345"})
    assert wrong.status_code == 200 and "6 位数字" in wrong.content.decode()
    ok = other.post("/accounts/2fa/verify/", {"token": code_for(key, steps_ahead=1), "next": "/staff/"})
    assert ok.status_code == 302 and ok.url == "/staff/"
    assert other.get("/staff/").status_code == 200


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_failed_codes_are_throttled(client, users):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=users["fire_heping"], name="t", confirmed=True)
    login(client, "fire_heping")
    wrong = "000000" if code_for(device.bin_key) != "000000" else "111111"
    client.post("/accounts/2fa/verify/", {"token": wrong})
    # Right after a failure even the right code is refused (django-otp's exponential back-off).
    refused = client.post("/accounts/2fa/verify/", {"token": code_for(device.bin_key)})
    assert refused.status_code == 200
    assert client.get("/staff/").status_code == 302
    assert events("auth.2fa_failed", actor=users["fire_heping"]).count() == 2


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_a_fragment_asked_for_before_the_second_factor_gets_nothing_not_the_enrol_page(client, users):
    # The navigation's work badge loads by htmx on every page, the enrol page included: following the redirect
    # would pour the whole enrol page (form and all) into the badge slot.
    login(client, "civil_heping")
    fragment = client.get(reverse("work-badge"), headers={"HX-Request": "true"})
    assert fragment.status_code == 204 and fragment.content == b""
    assert client.get(reverse("work-badge")).status_code == 302  # a plain request is still sent to the step


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_institution_accounts_need_no_second_factor(client, users):
    login(client, "inst_1")
    assert client.get("/staff/").status_code == 200


@override_settings(PORTAL_REQUIRE_2FA=True)
def test_the_admin_site_is_behind_the_second_factor_too(client, users):
    login(client, "admin")
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/enrol/")


def test_without_the_setting_staff_log_in_with_a_password_alone(client, users):
    assert settings.PORTAL_REQUIRE_2FA is False  # the test settings' default
    login(client, "civil_heping")
    assert client.get("/staff/").status_code == 200


# ------------------------------------------------------------------------------------------ headers


def test_authenticated_pages_are_not_stored(client, users):
    public = client.get("/")
    assert "no-store" not in public.get("Cache-Control", "")
    assert "no-store" in client.get("/complaints/track/ABC/").get("Cache-Control", "")
    client.force_login(users["civil_heping"])
    for url in ("/", "/staff/", "/api/v1/findings/"):
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url


def test_content_security_policy_allows_no_inline_script_or_style(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


def test_only_the_api_docs_relax_the_policy(client):
    assert "'unsafe-inline'" in client.get("/api/docs/")["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"|<style", text) or \
                re.search(r"\son[a-z]+=\"", text):
            offenders.append(str(path))
    assert offenders == []



# ------------------------------------------------------------------------------------------ audit search


@pytest.fixture
def fire_admin(db):
    from agencies.choices import StaffRole
    from agencies.models import Department
    from agencies.services import staff_create

    department = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    return staff_create("fire_admin_heping", "unused-password-123", department, StaffRole.ADMIN, "消防管理员")


def test_administrators_search_the_whole_trail(client, users):
    Client().force_login(users["fire_heping"])
    Client().force_login(users["civil_heping"])
    client.force_login(users["admin"])
    response = client.get("/audit/", {"verb": "auth.login"})
    assert response.status_code == 200
    names = {row.actor_name for row in response.context["page"].object_list}
    assert {"fire_heping", "civil_heping"} <= names


def test_a_department_admin_searches_only_its_departments_rows(client, users, fire_admin):
    Client().force_login(users["fire_heping"])
    Client().force_login(users["civil_heping"])
    client.force_login(fire_admin)
    response = client.get("/audit/", {"verb": "auth."})
    rows = list(response.context["page"].object_list)
    assert rows and {row.department_id for row in rows} == {fire_admin.staff_profile.department_id}
    assert "civil_heping" not in {row.actor_name for row in rows}


def test_other_staff_cannot_search_the_trail(client, users):
    client.force_login(users["civil_heping"])
    assert client.get("/audit/").status_code == 403


def test_a_bad_date_range_names_the_field(client, users):
    client.force_login(users["admin"])
    response = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.context["form"].errors == {"date_to": ["截止日期不能早于起始日期。"]}


@pytest.mark.parametrize("extra_rows", [0, 60])
def test_the_audit_search_runs_in_a_fixed_number_of_queries(client, users, django_assert_max_num_queries,
                                                              extra_rows):
    for _ in range(extra_rows):
        Client().force_login(users["fire_heping"])
    client.force_login(users["admin"])
    with django_assert_max_num_queries(8):
        assert client.get("/audit/").status_code == 200
