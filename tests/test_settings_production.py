"""The production profile (DJANGO_ENV=production): `check --deploy` is clean, a weak SECRET_KEY is refused,
and the locale is the one DESIGN §5 fixes. Each case starts a fresh interpreter, as a deployment would."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[1]
# Only what a process needs to run. Everything else the test process carries (DATABASE_URL from CI,
# DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests, DEBUG from a developer's shell …) would change what the
# profile reads, so it is left out rather than listed.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


def production_env(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",  # the real settings, not the test ones
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.gov.cn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args, env):
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_reports_nothing(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


def test_check_deploy_would_complain_with_debug_on(tmp_path):
    # The check above is not vacuous: the same command fails when the profile is weakened.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 production_env(tmp_path, DEBUG="true"))
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [
    None,  # not set at all: the built-in development key
    "",
    "short-key",
    "a" * 64,  # long but not random (Django's own bar: at least 5 distinct characters)
    "django-insecure-" + "x1y2z3" * 10,  # what startproject generates for development
    "dev-only-insecure-key-never-use-in-production",
])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, secret_key):
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Production needs a real SECRET_KEY" in result.stderr


def test_development_default_still_starts_without_a_secret_key(tmp_path):
    result = run(["manage.py", "check"], production_env(tmp_path, DJANGO_ENV=None, SECRET_KEY=None))
    assert result.returncode == 0, result.stderr


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"LANGUAGE_CODE": settings.LANGUAGE_CODE, "TIME_ZONE": settings.TIME_ZONE,
                  "LANGUAGES": [code for code, _ in settings.LANGUAGES], "USE_I18N": settings.USE_I18N,
                  "USE_TZ": settings.USE_TZ, "DEBUG": settings.DEBUG}))
"""


def test_production_locale_and_time_zone(tmp_path):
    result = run(["-c", PRINT_SETTINGS], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["LANGUAGE_CODE"] == "zh-hans"
    assert values["TIME_ZONE"] == "Asia/Shanghai"
    assert "en" in values["LANGUAGES"] and "zh-hans" in values["LANGUAGES"]
    assert values["USE_I18N"] and values["USE_TZ"]
    assert values["DEBUG"] is False


def test_embedded_default_locale_and_english_available(client):
    assert settings.LANGUAGE_CODE == "zh-hans" and settings.TIME_ZONE == "Asia/Shanghai"
    assert "en" in dict(settings.LANGUAGES)
    # English really is served when asked for: the API's own messages switch language.
    english = client.get("/api/v1/findings/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/api/v1/findings/")
    assert english.status_code == chinese.status_code == 401
    assert english.json()["detail"] == "Authentication credentials were not provided."
    assert chinese.json()["detail"] != english.json()["detail"]


PRINT_SECURITY = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"2fa": settings.PORTAL_REQUIRE_2FA, "session_secure": settings.SESSION_COOKIE_SECURE,
                  "csrf_secure": settings.CSRF_COOKIE_SECURE, "samesite": settings.SESSION_COOKIE_SAMESITE,
                  "hsts": settings.SECURE_HSTS_SECONDS, "policy": settings.PASSWORD_POLICY,
                  "max_age": settings.PASSWORD_MAX_AGE_DAYS, "retention": settings.AUDIT_RETENTION_DAYS,
                  "validators": [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]}))
"""


def security_settings(env):
    result = run(["-c", PRINT_SECURITY], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_requires_the_second_factor_and_secure_cookies(tmp_path):
    values = security_settings(production_env(tmp_path))
    assert values["2fa"] is True
    assert values["session_secure"] and values["csrf_secure"] and values["samesite"] == "Lax"
    assert values["hsts"] >= 31536000
    assert values["policy"] == "asvs" and values["max_age"] == 0
    assert "CharacterClassValidator" not in values["validators"]
    assert values["retention"] >= 180


def test_the_embedded_default_does_not_require_the_second_factor(tmp_path):
    values = security_settings(production_env(tmp_path, DJANGO_ENV=None, SECRET_KEY=None))
    assert values["2fa"] is False


def test_dengbao_password_mode_adds_complexity_and_rotation(tmp_path):
    values = security_settings(production_env(tmp_path, PASSWORD_POLICY="dengbao"))
    assert values["policy"] == "dengbao" and values["max_age"] == 90
    assert {"CharacterClassValidator", "NumericPasswordValidator", "MinimumLengthValidator",
            "CommonPasswordValidator"} <= set(values["validators"])


def test_audit_retention_cannot_be_set_below_six_months(tmp_path):
    assert security_settings(production_env(tmp_path, AUDIT_RETENTION_DAYS="30"))["retention"] == 180


def test_seed_demo_refuses_production(tmp_path):
    env = production_env(tmp_path)
    assert run(["manage.py", "migrate", "--noinput"], env).returncode == 0
    result = run(["manage.py", "seed_demo"], env)
    assert result.returncode != 0
    assert "seed_demo refuses to run in production" in result.stderr
    check = run(["-c", "import django; django.setup(); from django.contrib.auth.models import User; "
                       "print(User.objects.filter(username='admin').exists())"], env)
    assert check.stdout.strip().splitlines()[-1] == "False"
