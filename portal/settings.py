"""Settings come from the environment (django-environ).

With nothing set the portal runs on the embedded default: SQLite, Celery eager, local-memory cache,
DEBUG on. `DJANGO_ENV=production` switches to the production profile, which refuses to start without
a real SECRET_KEY and passes `manage.py check --deploy`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET)
# The same bar as Django's security.W009, so that a key this accepts never makes `check --deploy` complain.
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
                   or SECRET_KEY.startswith("django-insecure-")):
    raise ImproperlyConfigured("Production needs a real SECRET_KEY (at least 50 random characters).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_celery_beat",
    # Layered from the bottom up (DESIGN §2): lower apps never import higher ones.
    "agencies",
    "institutions",
    "inspections",
    "complaints",
    "credit",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session limits, the second-factor gate, password rotation (agencies.security).
    "agencies.security.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Cache-Control: no-store for logged-in users; refused requests (403) into the audit trail.
    "agencies.security.NoStoreMiddleware",
    "agencies.security.AuditDeniedMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its response
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if not PRODUCTION else 60))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
elif "postgresql" in DATABASES["default"]["ENGINE"] and not env.bool("POSTGRES_JIT", default=False):
    # PostgreSQL's JIT compiles the dashboard's grouped counts for ~2 s before running them in ~0.2 s (EXPLAIN
    # ANALYZE at province size, docs/benchmarks.md); an interactive portal's queries never repay it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, reusing its redis-py client (agencies/cache.py).
            "BACKEND": "agencies.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Template fragments that depend only on the language and the page (base.html: the visitors' navigation, the
# footer): in each process's memory, kept until it restarts — they change only with a deploy.
CACHES["fragments"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments",
                       "TIMEOUT": None}

AUTHENTICATION_BACKENDS = [
    # First: refuses a username+address pair locked out by django-axes before any password is checked.
    "agencies.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Statutory scope from the duty catalog, then explicit hand-offs (guardian's direct FK grants).
    "agencies.access.DutyPolicyBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # the public site never needs guardian's anonymous user

# Password policy. "asvs" (default, OWASP ASVS 6.2): at least 12 characters, not a common or breached
# password, not like the user's name; no composition rules, no forced rotation. "dengbao" (等保 2.0
# 8.1.4.1 as auditors read it) adds: three of four character classes, not all digits, and a change every
# PASSWORD_MAX_AGE_DAYS (default 90) days.
PASSWORD_POLICY = env("PASSWORD_POLICY", default="asvs")
if PASSWORD_POLICY not in ("asvs", "dengbao"):
    raise ImproperlyConfigured("PASSWORD_POLICY is 'asvs' or 'dengbao'")
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Records when a password was set, so that rotation (dengbao) and audit can see it.
    {"NAME": "agencies.security.PasswordChangeRecorder"},
]
if PASSWORD_POLICY == "dengbao":
    AUTH_PASSWORD_VALIDATORS += [
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        {"NAME": "agencies.security.CharacterClassValidator", "OPTIONS": {"classes": 3}},
    ]
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90 if PASSWORD_POLICY == "dengbao" else 0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "public-home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files live outside anything a web server serves; they are read through permission-checked views.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "uploads"))

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with `WWW-Authenticate: Token` (session-first gives 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "agencies.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Only the token endpoint is throttled (ScopedRateThrottle): it checks passwords.
    "DEFAULT_THROTTLE_RATES": {"auth-token": env("API_TOKEN_RATE", default="20/min")},
    # Throttles key on the client address: behind the production reverse proxy that is the last
    # X-Forwarded-For hop (a client cannot spoof it), on the embedded default REMOTE_ADDR.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=1 if PRODUCTION else 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "养老服务综合监管平台 API",
    "DESCRIPTION": "Elderly-care comprehensive supervision portal. Every regulated record carries "
    "`institution` and `domain`; what a caller sees is its department's statutory scope plus hand-offs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to validator.swagger.io: nothing leaves the intranet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Group operations by resource (regions, findings, public …) rather than all under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Several records have a field called `state`, each with its own transition table: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "FilingStateEnum": "institutions.choices.FilingState",
        "LeadStateEnum": "institutions.choices.LeadState",
        "PlanStateEnum": "inspections.choices.PlanState",
        "DrawStateEnum": "inspections.choices.DrawState",
        "InspectionKindEnum": "inspections.choices.InspectionKind",
        "InspectionStateEnum": "inspections.choices.InspectionState",
        "ItemResultValueEnum": "inspections.choices.ItemResultValue",
        "ReferralKindEnum": "inspections.choices.ReferralKind",
        "ReferralStateEnum": "inspections.choices.ReferralState",
        "SupervisedCaseStateEnum": "inspections.choices.SupervisedCaseState",
        "SuspensionStateEnum": "inspections.choices.SuspensionState",

        "ComplaintStateEnum": "complaints.choices.ComplaintState",
        "ComplaintOutcomeEnum": "complaints.choices.Outcome",
    },
    # Every operation declares the 4xx answers it can give (agencies/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "agencies.api.schema.declare_error_responses"],
}

# Celery: eager on the embedded default, Redis in production and CI.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis has no acknowledgements of its own: kombu keeps each delivered, unacknowledged message (acks_late) in an
# "unacked" set and puts it back on its queue when it is older than the visibility timeout; a worker that stops
# normally puts its own back at once. So a worker killed mid-task (SIGKILL, OOM, a lost machine) has its task
# run again by another worker after the visibility timeout. It must be longer than the longest task and than any
# countdown (retries with backoff wait in the same set), or a task still running would be run twice. One hour,
# the kombu default; every task is idempotent anyway (DESIGN: ids as arguments, outbox rows marked once).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for such messages (seconds, × the throttle): at most a minute past the timeout.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=6),
}
# A request whose broker is away must not hang on it: publishing gives up quickly, and what it queued waits in an
# outbox table (agencies.outbox) for the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# After a failed publish a process leaves its work to the sweeps this long before it tries the broker again
# (agencies.broker): requests do not each wait for a broker that is down.
BROKER_PAUSE_SECONDS = env.int("BROKER_PAUSE_SECONDS", default=10)
CELERY_TIMEZONE = TIME_ZONE
# Task modules beyond each app's tasks.py (autodiscovery finds only those), so real workers register them too.
CELERY_IMPORTS = ["institutions.tasks.imports", "institutions.tasks.exports", "institutions.tasks.records",
                  "institutions.tasks.filing"]
CELERY_IMPORTS += ["inspections.tasks.inspections", "inspections.tasks.findings", "credit.tasks"]
# Beat (`celery -A portal beat`): housekeeping; every task here is idempotent, so a missed or doubled run does no harm.
CELERY_BEAT_SCHEDULE = {
    "inspections-publish-overdue": {"task": "inspections.tasks.inspections.publish_overdue_inspections_task",
                                    "schedule": 24 * 3600},
    "inspections-schedule-drawn": {"task": "inspections.tasks.inspections.schedule_drawn_inspections_sweep",
                                   "schedule": 3600},
    "scan-overdue-findings": {"task": "inspections.tasks.findings.scan_overdue_findings",
                              "schedule": 24 * 3600},
    "credit-nightly": {"task": "credit.tasks.nightly_credit_run", "schedule": 24 * 3600},
    "outbox-sweep": {"task": "agencies.tasks.sweep_outbox", "schedule": 60.0},
}
# Background jobs (agencies.jobs): a job still queued this long after its start was handed to the broker has lost its
# task (a Redis restarted without persistence); the sweep publishes it again (a job runs once however often).
JOB_REQUEUE_MINUTES = env.int("JOB_REQUEUE_MINUTES", default=10)
CELERY_BEAT_SCHEDULE["jobs-sweep"] = {"task": "agencies.tasks.sweep_background_jobs",
                                      "schedule": 60.0 * JOB_REQUEUE_MINUTES}
# The outbox (agencies.outbox): a failed delivery waits OUTBOX_BACKOFF_SECONDS × 2ⁿ (at most the max) before the
# next attempt, and is given up (marked failed, with its last error) after OUTBOX_MAX_ATTEMPTS attempts.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=30)
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=1800)  # < the visibility timeout
# Deliveries owed within this many seconds are published as one task (0: each on its own, at once).
OUTBOX_PUBLISH_BATCH_SECONDS = env.float("OUTBOX_PUBLISH_BATCH_SECONDS", default=0.2)
# Beat reads its schedule from the database (django-celery-beat): `manage.py sync_schedules` (run by `make run`
# and seed_demo) writes every entry of CELERY_BEAT_SCHEDULE as a PeriodicTask row, idempotently; an administrator
# may then pause or retime a task in the admin without a deploy.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# 一公开: a completed inspection's result is public within this many working days (then the portal publishes it).
INSPECTION_PUBLISH_WORKING_DAYS = env.int("INSPECTION_PUBLISH_WORKING_DAYS", default=20)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")
# The directory of django.core.mail.backends.filebased.EmailBackend (a development choice, and the fault tests').
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
# Where e-mailed notification links point (the portal's public address).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

DEMO_PASSWORD = env("DEMO_PASSWORD", default="portal-demo-2026")

# The audit trail is kept at least 6 months (网络安全法 art. 21); `manage.py purge_audit` removes older rows.
AUDIT_RETENTION_DAYS = max(180, env.int("AUDIT_RETENTION_DAYS", default=365))

# Production hardening (`manage.py check --deploy` is clean with these).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ------------------------------------------------------------------------------------------ authentication
# Second factor (TOTP, django-otp) for department staff and administrators; institution accounts may enrol.
# On by default in production only: the embedded demo and the test settings log in with a password alone.
PORTAL_REQUIRE_2FA = env.bool("PORTAL_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = "养老服务综合监管平台"
# Staff sessions end after this many idle minutes; every session ends this many hours after its login.
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_ABSOLUTE_LIFETIME_HOURS = env.int("SESSION_ABSOLUTE_LIFETIME_HOURS", default=12)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = PRODUCTION

# Lockout (django-axes): AXES_FAILURE_LIMIT failures for one username from one address lock that pair only,
# for AXES_COOLOFF_MINUTES. Keyed on the pair, an attacker elsewhere cannot lock the real user out, and the
# short cool-off bounds what a lockout costs; the client address is the one the throttles use (NUM_PROXIES).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "agencies.security.client_ip"
AXES_VERBOSE = False

# ------------------------------------------------------------------------------------------ headers
# Pages with personal data for anyone not logged in (the public complaint form and tracking): no-store, as
# every response to a logged-in user is.
NO_STORE_PATH_PREFIXES = env.list("NO_STORE_PATH_PREFIXES", default=["/complaints/"])
# Content-Security-Policy: nothing inline (scripts live in static/js, styles in static/css), nothing from
# another origin. The API documentation pages relax it for themselves only (portal/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its form icons as data: SVGs; QR codes too
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO" if PRODUCTION else "WARNING")},
}

# Complaints: phone numbers are encrypted with this key (Fernet, urlsafe base64 of 32 bytes); derived from
# SECRET_KEY when empty. The deadline check runs from Celery beat; notifications go through the shared outbox (its
# sweep, "outbox-sweep", takes them too).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
CELERY_BEAT_SCHEDULE |= {
    "complaints-check-deadlines": {"task": "complaints.tasks.check_complaint_deadlines", "schedule": 3600.0},
}

# Notifications (portal.notifications): the daily deadline scan and the digest, at fixed times in Shanghai.
# A reminder goes out this many working days before a deadline; past it, once more as overdue.
NOTIFY_REMINDER_WORKING_DAYS = env.int("NOTIFY_REMINDER_WORKING_DAYS", default=2)
CELERY_BEAT_SCHEDULE |= {
    "portal-deadline-reminders": {"task": "portal.tasks.send_deadline_reminders",
                                  "schedule": crontab(hour=7, minute=30)},
    "portal-daily-digest": {"task": "portal.tasks.send_daily_digests", "schedule": crontab(hour=8, minute=0)},
    "portal-sweep-notification-email": {"task": "portal.tasks.sweep_notification_email", "schedule": 300.0},
}
