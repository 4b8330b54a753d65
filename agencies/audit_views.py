"""The audit search page: administrators search the whole trail, a department's administrators (StaffRole
ADMIN) the rows written by their own department's staff. Anyone else is refused (and that refusal is audited)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .choices import StaffRole
from .models import AuditEvent, StaffProfile

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    q = forms.CharField(label=_("账号、对象编号或说明"), required=False, max_length=150)
    verb = forms.CharField(label=_("操作（前缀，如 auth. 或 filing.）"), required=False, max_length=64)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=64)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return cleaned


def audit_rows_for(user):
    """The rows this user may search; PermissionDenied for anyone but administrators."""
    rows = AuditEvent.objects.select_related("department")
    if user.is_superuser:
        return rows
    profile = StaffProfile.objects.filter(user_id=user.pk, role=StaffRole.ADMIN).only("department_id").first()
    if profile is None:
        raise PermissionDenied
    return rows.filter(department_id=profile.department_id)


@login_required
def audit_search(request):
    rows = audit_rows_for(request.user)
    form = AuditSearchForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            rows = rows.filter(actor_name=data["q"]) | rows.filter(object_id=data["q"]) | \
                rows.filter(note__icontains=data["q"])
        if data["verb"]:
            rows = rows.filter(verb__startswith=data["verb"])
        if data["object_type"]:
            rows = rows.filter(object_type=data["object_type"])
        if data["date_from"]:
            rows = rows.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            rows = rows.filter(at__date__lte=data["date_to"])
    elif form.is_bound:
        rows = rows.none()
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control form-control-sm")
    page = Paginator(rows.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "agencies/audit_search.html", {"form": form, "page": page, "query": query.urlencode(),
                                                          "target": "#audit-results"})
