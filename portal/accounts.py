"""Account pages: enrolling and verifying the second factor (TOTP), changing the password.

With PORTAL_REQUIRE_2FA on, `agencies.security.SessionPolicyMiddleware` sends staff and administrators here
after their password until they have verified a code; institution accounts may enrol of their own accord
(and are then asked for a code at every login).
"""

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.audit import audit_event
from agencies.security import PASSWORD_EXPIRED, SECOND_FACTOR


class TokenForm(forms.Form):
    token = forms.RegexField(label=gettext_lazy("动态验证码"), regex=r"^\s*\d{6}\s*$", max_length=12,
                             error_messages={"invalid": gettext_lazy("请输入验证器应用显示的 6 位数字。")})

    def clean_token(self):
        return self.cleaned_data["token"].strip()


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("staff-home")


def qr_data_uri(text: str) -> str:
    """The QR code as an SVG data: URI, drawn on the server (no script, no outside service)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


@never_cache
@login_required
def enrol(request):
    if any(True for _d in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('otp-verify')}?{urlencode({'next': _next_url(request)})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=_("身份验证器"), confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session[SECOND_FACTOR] = True
            audit_event(request.user, "auth.2fa_enrol", "auth.user", request.user.pk)
            messages.success(request, _("已启用双因素认证。"))
            return redirect(_next_url(request))
        audit_event(request.user, "auth.2fa_failed", "auth.user", request.user.pk, after={"step": "enrol"})
        form.add_error("token", _("验证码不正确或已过期，请输入验证器应用当前显示的数字。"))
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/otp_enrol.html", {
        "form": form, "qr": qr_data_uri(device.config_url), "secret": secret,
        "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), "next": _next_url(request)})


@never_cache
@login_required
def verify(request):
    if not any(True for _d in devices_for_user(request.user, confirmed=True)):
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit_event(request.user, "auth.2fa_verified", "auth.user", request.user.pk)
            return redirect(_next_url(request))
        audit_event(request.user, "auth.2fa_failed", "auth.user", request.user.pk, after={"step": "verify"})
        form.add_error("token", _("验证码不正确或已过期；多次错误后须稍候再试。"))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, and it lifts the rotation gate once the new password is saved."""

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[PASSWORD_EXPIRED] = False
        audit_event(self.request.user, "auth.password_change", "auth.user", self.request.user.pk)
        return response


urlpatterns = [
    path("2fa/enrol/", enrol, name="otp-enrol"),
    path("2fa/verify/", verify, name="otp-verify"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
