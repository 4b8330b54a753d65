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
