"""Authentication and session policy (issue 8 item 1) and the security events of the audit trail (item 2).

- `SessionPolicyMiddleware`: staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES idle; every session ends
  SESSION_ABSOLUTE_LIFETIME_HOURS after its login; with PORTAL_REQUIRE_2FA, staff and administrators (and any
  account that enrolled a device) reach nothing but the second-factor pages until verified; with a password
  policy that rotates, an expired password leads to the change form.
- `end_sessions(user)`: ends every session of a user (admin action; deactivating a user calls it).
- `NoStoreMiddleware`: `Cache-Control: no-store` on every response to a logged-in user and on the public
  complaint pages, so no shared or browser cache keeps personal data.
- `AuditDeniedMiddleware` and the receivers below: logins, logouts, failed logins, lockouts, refused
  requests (403) and permission grants (guardian's direct foreign-key tables) go into the audit trail.
"""

import time
from datetime import timedelta
from importlib import import_module

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .audit import audit_event
from .models import LoginSession, PasswordRecord, StaffProfile

AUTH_AT = "portal.auth_at"
SEEN_AT = "portal.seen_at"
STAFF = "portal.staff"
SECOND_FACTOR = "portal.second_factor"
PASSWORD_EXPIRED = "portal.password_expired"
SEEN_RESOLUTION = 60  # seconds: the idle clock is written at most once a minute, not on every request


def client_ip(request) -> str | None:
    """The client address, as the API throttles see it: behind NUM_PROXIES trusted proxies, the hop the
    nearest proxy appended to X-Forwarded-For (a client can prepend, never append); otherwise REMOTE_ADDR."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR")


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for logins over HTTP. An `authenticate()` call with no request (a management
    command, a test client's `login()`) cannot be brute-forced from outside and is let through to the
    password backends, which still check the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# ------------------------------------------------------------------------------------------ who needs what


def is_staff_account(user) -> bool:
    return bool(user.is_superuser or user.is_staff or StaffProfile.objects.filter(user_id=user.pk).exists())


def has_confirmed_device(user) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def password_expired(user) -> bool:
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days:
        return False
    record = PasswordRecord.objects.filter(user_id=user.pk).first()
    changed = record.changed_at if record else user.date_joined
    return (timezone.now() - changed).days >= days


def stamp_session(request, user):
    """What the session policy needs to know, computed once per login rather than on every request."""
    now = time.time()
    staff = is_staff_account(user)
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session[STAFF] = staff
    request.session[SECOND_FACTOR] = staff or has_confirmed_device(user)
    request.session[PASSWORD_EXPIRED] = password_expired(user)


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _exempt(path) -> bool:
    """The pages a user who still owes a second factor or a new password can reach."""
    static = "/" + settings.STATIC_URL.lstrip("/")
    if path.startswith(static):
        return True
    names = ("otp-verify", "otp-enrol", "logout", "password_change", "password_change_done", "set_language")
    return path in {url for url in map(_url, names) if url}


def _is_fragment_request(request) -> bool:
    return request.headers.get("HX-Request") == "true"


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            redirect = self.apply(request, user)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    def apply(self, request, user):
        session = request.session
        now = time.time()
        if AUTH_AT not in session:  # a session opened before this policy existed
            stamp_session(request, user)
        expired = None
        if now - session[AUTH_AT] > settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600:
            expired = "absolute"
        elif session.get(STAFF) and now - session.get(SEEN_AT, now) > settings.STAFF_IDLE_TIMEOUT_MINUTES * 60:
            expired = "idle"
        if expired is not None:
            audit_event(user, "auth.session_expired", "auth.user", user.pk, after={"reason": expired})
            logout(request)
            login_url = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
            if _is_fragment_request(request):  # htmx: send the whole page to the login, not into a badge slot
                return HttpResponse(status=204, headers={"HX-Redirect": login_url})
            return HttpResponseRedirect(login_url)
        if now - session.get(SEEN_AT, 0) > SEEN_RESOLUTION:
            session[SEEN_AT] = now
        if _exempt(request.path):
            return None
        owes_step = (settings.PORTAL_REQUIRE_2FA and session.get(SECOND_FACTOR) and not user.is_verified()) or (
            session.get(PASSWORD_EXPIRED) and _url("password_change"))
        if owes_step and _is_fragment_request(request):
            # A fragment (the work badge) asked for while the page itself is the second-factor or password step:
            # nothing to show yet, and a redirect would pour that whole page into the fragment's slot.
            return HttpResponse(status=204)
        if settings.PORTAL_REQUIRE_2FA and session.get(SECOND_FACTOR) and not user.is_verified():
            target = "otp-verify" if has_confirmed_device(user) else "otp-enrol"
            return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        if session.get(PASSWORD_EXPIRED) and _url("password_change"):
            return HttpResponseRedirect(reverse("password_change"))
        return None


# ------------------------------------------------------------------------------------------ ending sessions


def end_sessions(user) -> int:
    """End every session the user opened by logging in (their next request is anonymous)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(LoginSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    LoginSession.objects.filter(user_id=user.pk).delete()
    return len(keys)


@receiver(post_save, sender=get_user_model(), dispatch_uid="end_sessions_of_deactivated_user")
def _deactivated_user_loses_sessions(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        ended = end_sessions(instance)
        if ended:
            audit_event(None, "auth.sessions_ended", "auth.user", instance.pk,
                        after={"username": instance.get_username(), "sessions": ended, "reason": "deactivated"})


# ------------------------------------------------------------------------------------------ passwords


class PasswordChangeRecorder:
    """Not a rule: records when a password was set (Django calls `password_changed` after every change)."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            PasswordRecord.objects.update_or_create(user_id=user.pk, defaults={"changed_at": timezone.now()})

    def get_help_text(self):
        return ""


class CharacterClassValidator:
    """等保 complexity: characters from at least `classes` of upper case, lower case, digits and symbols."""

    def __init__(self, classes=3):
        self.classes = classes

    def validate(self, password, user=None):
        found = sum([any(c.isupper() for c in password), any(c.islower() for c in password),
                     any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
        if found < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.classes}


# ------------------------------------------------------------------------------------------ headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = user is not None and user.is_authenticated
        if personal or request.path.startswith(tuple(settings.NO_STORE_PATH_PREFIXES)):
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response


# ------------------------------------------------------------------------------------------ audit


class AuditDeniedMiddleware:
    """A refused request (403 — PermissionDenied in a view, DRF's refusals, a CSRF failure) is audited."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            audit_event(user, "access.denied", "http.request", request.path[:64],
                        after={"method": request.method, "path": request.get_full_path()[:500],
                               "ip": client_ip(request)})
        return response


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    stamp_session(request, user)
    cutoff = timezone.now() - timedelta(hours=settings.SESSION_ABSOLUTE_LIFETIME_HOURS)
    LoginSession.objects.filter(user_id=user.pk, created_at__lt=cutoff).delete()
    if request.session.session_key:
        LoginSession.objects.update_or_create(session_key=request.session.session_key,
                                              defaults={"user": user, "ip": client_ip(request)})
    audit_event(user, "auth.login", "auth.user", user.pk, after={"ip": client_ip(request)})


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        LoginSession.objects.filter(session_key=request.session.session_key).delete()
    audit_event(user, "auth.logout", "auth.user", user.pk,
                after={"ip": client_ip(request) if request is not None else None})


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_event(None, "auth.login_failed", "auth.user", username[:64],
                after={"username": username, "ip": client_ip(request) if request is not None else None})


def _audit_lockout(sender, request, username=None, ip_address=None, **kwargs):
    audit_event(None, "auth.locked_out", "auth.user", str(username or "")[:64],
                after={"username": username, "ip": ip_address})


def _grant_facts(instance):
    target = getattr(instance, "user", None) or getattr(instance, "group", None)
    return {"permission": instance.permission.codename, "object": str(instance.content_object_id),
            "to": f"{target._meta.model_name}:{target.pk}" if target is not None else None}


def _audit_grant_saved(sender, instance, created, **kwargs):
    verb = "grant.create" if created else "grant.change"
    audit_event(None, verb, sender._meta.label_lower, instance.pk, after=_grant_facts(instance))


def _audit_grant_deleted(sender, instance, **kwargs):
    audit_event(None, "grant.delete", sender._meta.label_lower, instance.pk, before=_grant_facts(instance))


def connect_security_receivers():
    """Lockouts (django-axes' signal) and every direct foreign-key grant table of every app."""
    from axes.signals import user_locked_out
    from django.apps import apps
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    user_locked_out.connect(_audit_lockout, dispatch_uid="audit_lockout")
    for model in apps.get_models():
        if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase) and not model._meta.abstract:
            if not hasattr(model, "content_object_id"):
                continue  # guardian's generic tables: the project never uses them
            label = model._meta.label_lower
            post_save.connect(_audit_grant_saved, sender=model, dispatch_uid=f"audit_grant_{label}")
            post_delete.connect(_audit_grant_deleted, sender=model, dispatch_uid=f"audit_ungrant_{label}")
