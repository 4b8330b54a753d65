"""Back office for the agencies app: regions, departments, the duty catalog, the working-day calendar, audit.

Edits here change who sees what: saving a duty, a competence, a department or a staff assignment fires the
signals that invalidate every cached scope (agencies.signals), so the new scope applies on the next request.
Those edits are also written to the audit trail, since they decide access.
"""

from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_base import ReadOnlyAdmin
from .audit import audit_event, audit_record
from .calendar import calendar_warnings, package_covers, package_decision
from .choices import Action, InstitutionFact
from .models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    Department,
    DepartmentKind,
    Domain,
    Duty,
    OutboxMessage,
    Region,
    StaffProfile,
)
from .security import end_sessions

admin.site.site_header = _("养老服务综合监管平台 管理后台")
admin.site.site_title = _("养老服务综合监管平台")
admin.site.index_title = _("系统管理")


def _with_calendar_warnings(stock_index):
    """The admin index, plus the calendar warnings for whoever can enter the missing days.

    The project keeps Django's default admin site, whose index view takes `extra_context`; wrapping it here
    (before the admin URLs are built) is how templates/admin/index.html receives `calendar_warnings`.
    """

    @wraps(stock_index)
    def index(request, extra_context=None):
        context = dict(extra_context or {})
        may_fix = request.user.is_active and request.user.is_staff and request.user.has_perm(
            "agencies.change_calendarday")
        context.setdefault("calendar_warnings", calendar_warnings() if may_fix else [])
        return stock_index(request, extra_context=context)

    return index


admin.site.index = _with_calendar_warnings(admin.site.index)


def _names(objects) -> str:
    return "、".join(str(o) for o in objects)


class FactChoicesField(forms.MultipleChoiceField):
    """A JSON list of institution facts, edited as checkboxes and kept in the choices' declared order."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", InstitutionFact.choices)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)

    def clean(self, value):
        chosen = set(super().clean(value))
        return [v for v, _label in self.choices if v in chosen]


# ------------------------------------------------------------------------------------------ regions, domains


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "scope_code"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # Institutions and every record carry a copy of the code's prefix: an existing region keeps its code.
        return ["scope_code", "code", "level"] if obj is not None else ["scope_code"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "sources"]
    search_fields = ["code", "name", "name_en", "description"]


# ------------------------------------------------------------------------------------------ departments


class DepartmentKindAdminForm(forms.ModelForm):
    jurisdiction_applies_if = FactChoicesField(
        label=_("管辖条件"), required=False,
        help_text=_("该类部门只监管具备其中任一事实的机构（如医保部门只监管医保定点机构）；不选则不限。"))

    class Meta:
        model = DepartmentKind
        fields = ["code", "name", "name_en", "example_names", "competence", "competence_basis",
                  "jurisdiction_applies_if", "is_collective", "city_name_pattern", "district_name_pattern"]


@admin.register(DepartmentKind)
class DepartmentKindAdmin(admin.ModelAdmin):
    form = DepartmentKindAdminForm
    list_display = ["code", "name", "is_collective", "competence_list"]
    list_filter = ["is_collective"]
    search_fields = ["code", "name", "name_en", "example_names"]
    filter_horizontal = ["competence"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("competence")

    @admin.display(description=_("法定职责领域"))
    def competence_list(self, obj):
        return _names(obj.competence.all())


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "region"]
    list_filter = ["level", "kind"]
    search_fields = ["name", "region__name", "kind__name"]
    list_select_related = ["kind", "region"]
    autocomplete_fields = ["region"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """A staff member's department decides their scope and their group (hand-offs to the department)."""

    list_display = ["user", "department", "role", "title", "phone"]
    list_filter = ["role", "department__kind", "department__level"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    list_select_related = ["user", "department"]
    autocomplete_fields = ["user", "department"]

    def save_model(self, request, obj, form, change):
        old = StaffProfile.objects.select_related("department__group").get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        # Group membership is what guardian's group grants read: it must follow the department, or a moved
        # person would keep the hand-offs of the old one.
        if old is not None and old.department_id != obj.department_id:
            obj.user.groups.remove(old.department.group)
        obj.user.groups.add(obj.department.group)
        if old is None or old.department_id != obj.department_id or old.role != obj.role:
            before = {"department": old.department.name, "role": old.role} if old else {}
            audit_record(request.user, "staff.assign", obj, before,
                         {"department": obj.department.name, "role": obj.role})

    def delete_model(self, request, obj):
        obj.user.groups.remove(obj.department.group)
        audit_record(request.user, "staff.remove", obj, {"department": obj.department.name, "role": obj.role})
        super().delete_model(request, obj)

    @transaction.atomic  # the "delete selected" action runs outside the admin's own transaction
    def delete_queryset(self, request, queryset):
        for profile in queryset.select_related("user", "department__group"):
            self.delete_model(request, profile)


# ------------------------------------------------------------------------------------------ the duty catalog


class DutyAdminForm(forms.ModelForm):
    actions = forms.MultipleChoiceField(
        label=_("允许的操作"), choices=Action.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("任何其他操作都须同时包含“查看”。"))
    applies_if = FactChoicesField(label=_("适用条件"), required=False,
                                  help_text=_("机构事实（任一成立即适用）；不选则适用于所有机构。"))

    class Meta:
        model = Duty
        fields = ["source_seed", "task_no", "requirement", "text", "text_clean", "responsible_units",
                  "source_lines", "department_kinds", "lead_kind", "domains", "actions", "action_limits",
                  "applies_if", "active", "note"]

    def clean_actions(self):
        chosen = set(self.cleaned_data["actions"])
        # The engine grants each action separately: acting on records the department cannot see makes no sense.
        if Action.VIEW not in chosen:
            raise ValidationError(_("允许的操作须包含“查看”。"))
        return [a for a in Action.values if a in chosen]

    def clean(self):
        cleaned = super().clean()
        lead, kinds = cleaned.get("lead_kind"), cleaned.get("department_kinds")
        if lead is not None and kinds is not None and lead not in kinds:
            self.add_error("lead_kind", _("牵头部门须是责任部门之一。"))
        return cleaned


class SeedFilter(admin.SimpleListFilter):
    title = _("来源文件")
    parameter_name = "seed"

    def lookups(self, request, model_admin):
        seeds = Duty.objects.order_by("source_seed").values_list("source_seed", flat=True).distinct()
        return [(seed, seed[:3]) for seed in seeds]

    def queryset(self, request, queryset):
        return queryset.filter(source_seed=self.value()) if self.value() else queryset


def _duty_snapshot(duty: Duty) -> dict:
    return {
        "active": duty.active,
        "actions": list(duty.actions),
        "applies_if": list(duty.applies_if),
        "department_kinds": sorted(duty.department_kinds.values_list("code", flat=True)),
        "domains": sorted(duty.domains.values_list("code", flat=True)),
    }


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    form = DutyAdminForm
    list_display = ["reference_display", "requirement", "short_text", "kinds_display", "domains_display", "active"]
    list_display_links = ["reference_display", "short_text"]
    list_filter = [SeedFilter, "department_kinds", "domains", "active"]
    search_fields = ["task_no", "text", "text_clean", "requirement", "responsible_units"]
    list_select_related = ["lead_kind"]
    filter_horizontal = ["department_kinds", "domains"]
    fieldsets = [
        (None, {"fields": ["source_seed", "task_no", "requirement", "text", "text_clean", "responsible_units",
                           "source_lines"]}),
        (_("权限"), {"fields": ["department_kinds", "lead_kind", "domains", "actions", "applies_if", "active"]}),
        (_("备注"), {"fields": ["note"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("department_kinds", "domains")

    @admin.display(description=_("编号"), ordering="task_no")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description=_("任务文本"))
    def short_text(self, obj):
        text = obj.text_clean or obj.text
        return text if len(text) <= 60 else text[:60] + "…"

    @admin.display(description=_("责任部门"))
    def kinds_display(self, obj):
        return _names(obj.department_kinds.all())

    @admin.display(description=_("监管领域"))
    def domains_display(self, obj):
        return _names(obj.domains.all())

    def save_model(self, request, obj, form, change):
        # Read the old row before the form's values are saved; the many-to-many fields change in save_related.
        obj._audit_before = _duty_snapshot(Duty.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        duty = form.instance
        after = _duty_snapshot(duty)
        before = getattr(duty, "_audit_before", {})
        if after != before:
            audit_record(request.user, "duty.change" if change else "duty.add", duty, before, after)

    def delete_model(self, request, obj):
        audit_record(request.user, "duty.delete", obj, _duty_snapshot(obj))
        super().delete_model(request, obj)

    @transaction.atomic  # the "delete selected" action runs outside the admin's own transaction
    def delete_queryset(self, request, queryset):
        # One audit row per duty, and one signal per delete so that scopes are invalidated.
        for duty in queryset:
            self.delete_model(request, duty)


# ------------------------------------------------------------------------------------------ the calendar


class _CalendarWarningsMixin:
    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in calendar_warnings():
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarWarningsMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "name", "package_says"]
    list_filter = ["is_working_day"]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("节假日库（chinesecalendar）"))
    def package_says(self, obj):
        decision = package_decision(obj.date)
        if decision is None:
            return gettext("未覆盖该年")
        return gettext("工作日") if decision else gettext("休息日")


class CalendarYearAdminForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "complete", "note"]

    def clean(self):
        cleaned = super().clean()
        year, complete = cleaned.get("year"), cleaned.get("complete")
        # Every year has statutory holidays (元旦 at least): "complete" with none entered is a slip.
        if complete and year and not package_covers(year) and not CalendarDay.objects.filter(
                date__year=year, is_working_day=False).exists():
            raise ValidationError(_("%(year)d 年尚未录入任何放假日期，不能标记为已完整录入。") % {"year": year})
        return cleaned


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarWarningsMixin, admin.ModelAdmin):
    form = CalendarYearAdminForm
    list_display = ["year", "complete", "entered_days", "in_package", "note"]
    list_filter = ["complete"]

    def get_queryset(self, request):
        days = (CalendarDay.objects.filter(date__year=OuterRef("year")).order_by()
                .values("date__year").annotate(n=Count("id")).values("n"))
        return super().get_queryset(request).annotate(entered=Coalesce(Subquery(days), 0))

    @admin.display(description=_("已录入天数"), ordering="entered")
    def entered_days(self, obj):
        return obj.entered

    @admin.display(description=_("节假日库已覆盖"), boolean=True)
    def in_package(self, obj):
        return package_covers(obj.year)


# ------------------------------------------------------------------------------------------ audit


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is written by services, never edited."""

    list_display = ["at", "actor_name", "department", "verb", "object_type", "object_id"]
    list_filter = ["verb", "object_type"]
    search_fields = ["verb", "object_type", "=object_id", "note", "actor_name"]
    list_select_related = ["department"]
    readonly_fields = ["at", "actor", "actor_name", "department", "verb", "object_type", "object_id", "before",
                       "after", "note", "prev_hash", "row_hash"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # A department's staff read their own department's trail; its rows can name records of any scope.
        profile = StaffProfile.objects.filter(user=request.user).only("department_id").first()
        return queryset.filter(department_id=profile.department_id) if profile else queryset.none()


# ------------------------------------------------------------------------------------------ users


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """Django's user admin, plus ending a user's sessions (deactivating a user ends them too)."""

    actions = ["end_user_sessions"]

    @admin.action(description=_("结束所选用户的全部登录会话"), permissions=["change"])
    def end_user_sessions(self, request, queryset):
        total = 0
        for user in queryset:
            ended = end_sessions(user)
            total += ended
            audit_event(request.user, "auth.sessions_ended", "auth.user", user.pk,
                        after={"username": user.get_username(), "sessions": ended, "reason": "administrator"})
        self.message_user(request, gettext("已结束 %(n)d 个登录会话。") % {"n": total}, messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What is owed after a commit (agencies.outbox), read-only: a failed message shows its last error."""

    list_display = ("id", "task", "args", "state", "attempts", "last_error", "created_at", "next_attempt_at",
                    "sent_at")
    list_filter = ("state", "task")
    search_fields = ("task", "last_error")
    date_hierarchy = "created_at"
