import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Department, DepartmentKind, Domain, Duty, Region

SEED_CHOICES = [
    ("000_213d2698732501f7.txt", _("天津市养老服务综合监管任务清单（40项）")),
    ("001_22f67871987645f0.txt", _("区级重点工作任务分工（52项）")),
]


class DutyFilterSet(django_filters.FilterSet):
    department_kind = django_filters.ModelChoiceFilter(
        label=_("责任部门"), field_name="department_kinds", to_field_name="code",
        queryset=DepartmentKind.objects.filter(is_collective=False))
    domain = django_filters.ModelChoiceFilter(
        label=_("监管领域"), field_name="domains", to_field_name="code", queryset=Domain.objects.all())
    source_seed = django_filters.ChoiceFilter(label=_("来源"), choices=SEED_CHOICES)
    action = django_filters.CharFilter(label=_("操作"), method="filter_action")
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")

    class Meta:
        model = Duty
        fields = ["department_kind", "domain", "source_seed", "action", "q"]

    def filter_action(self, queryset, name, value):
        # JSON containment is not portable to SQLite; the catalog is small, so filter its ids in Python.
        ids = [pk for pk, actions in queryset.values_list("pk", "actions") if value in actions]
        return queryset.filter(pk__in=ids)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(text_clean__icontains=value) | Q(requirement__icontains=value)
                               | Q(task_no__iexact=value) | Q(responsible_units__icontains=value))


class RegionFilterSet(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=Region.objects.all())
    code = django_filters.CharFilter()

    class Meta:
        model = Region
        fields = ["level", "parent", "code"]


class DepartmentFilterSet(django_filters.FilterSet):
    kind = django_filters.ModelChoiceFilter(to_field_name="code", queryset=DepartmentKind.objects.all())
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all())

    class Meta:
        model = Department
        fields = ["kind", "region", "level"]
