"""Security in a real browser: no page breaks the Content-Security-Policy, and a staff member with the second
factor required enrols an authenticator (a TOTP computed here) and reaches the staff home."""

import base64
import re
import time

import pytest
from django.conf import settings as django_settings
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def watch_csp(page):
    page.add_init_script(CSP_LISTENER)
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    return console


def violations(page, console):
    seen = page.evaluate("window.__cspViolations || []")
    return seen + [text for text in console if "Content Security Policy" in text]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(django_settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_pages_raise_no_content_security_policy_violation(page, screenshot):
    console = watch_csp(page)
    for url in ["/", "/public/institutions/", "/accounts/login/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], url
    page.goto("/public/institutions/")
    page.get_by_role("link", name=re.compile("天津市和平区")).first.click()
    page.wait_for_load_state("networkidle")
    assert violations(page, console) == [], page.url
    log_in(page, "admin")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    for url in ["/staff/", "/institutions/", "/admin/", "/admin/agencies/auditevent/", "/audit/?verb=auth."]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], url
    expect(page.get_by_test_id("audit-row").first).to_contain_text("auth.login")
    screenshot(page, "security-01-audit-search-no-csp-violation")
    # The watch is not blind: an inline style attribute added now is refused and reported.
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<div style="color: red">x</div>')""")
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in violations(page, console))


def test_staff_enrol_a_second_factor_and_reach_the_staff_home(page, screenshot, settings):
    settings.PORTAL_REQUIRE_2FA = True
    # The wrong code below would otherwise hold the next attempt back for a second (django-otp's back-off,
    # tested in tests/agencies/test_security.py); a loaded CI machine can be quicker than that between clicks.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    console = watch_csp(page)
    log_in(page, "civil_heping")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/enrol/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("启用双因素认证")
    expect(page.get_by_test_id("otp-qr")).to_be_visible()
    assert page.get_by_test_id("otp-qr").evaluate("img => img.naturalWidth") > 0  # the data: QR really drew
    screenshot(page, "security-02-enrol")

    # The staff page is out of reach until the code is given.
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/enrol/"))

    secret = page.get_by_test_id("otp-secret").get_attribute("data-secret")
    key = base64.b32decode(secret)
    page.get_by_label("动态验证码").fill("000000" if f"{TOTP(key).token():06d}" != "000000" else "111111")
    page.get_by_role("button", name="验证并启用").click()
    expect(page.get_by_test_id("token-error")).to_contain_text("验证码不正确")
    screenshot(page, "security-03-enrol-wrong-code")
    page.get_by_label("动态验证码").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="验证并启用").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_test_id("who")).to_contain_text("和平区民政局")
    screenshot(page, "security-04-staff-home-after-enrol")

    # Logged out and back in: the code is asked for again, and the next code (30 s ahead) lets them in.
    page.get_by_role("button", name="退出").click()
    log_in(page, "civil_heping")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    screenshot(page, "security-05-verify")
    ahead = TOTP(key)
    ahead.time = time.time() + 30
    page.get_by_label("动态验证码").fill(f"{ahead.token():06d}")
    page.get_by_role("button", name="验证").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    assert violations(page, console) == []
