"""Forms of the annual plan and its draw. They only validate input; the services write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Department

from ..models import ChecklistVersion


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DepartmentsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PlanForm(BootstrapMixin, forms.Form):
    lead_department = DepartmentChoiceField(label=_("牵头部门"), queryset=Department.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("计划名称"), max_length=128)
    participating_departments = DepartmentsChoiceField(
        label=_("参与部门"), queryset=Department.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("联合检查的部门；其检查人员参加抽取，负责清单事项的部门每组至少一人。"))
    sampling_ratio = forms.DecimalField(label=_("抽查比例"), min_value=0, max_value=1, max_digits=4,
                                        decimal_places=3, initial="0.200",
                                        help_text=_("每家机构每年至少检查一次之外，再随机抽取的比例（0–1）。"))
    checklist_version = forms.ModelChoiceField(label=_("检查事项清单版本"), queryset=ChecklistVersion.objects.none())
    joint_preferred = forms.BooleanField(label=_("优先联合检查"), required=False, initial=True)

    def __init__(self, *args, actor_department: Department | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.select_related("kind", "region").order_by("region__code", "kind__code")
        if actor_department is not None:
            scope = actor_department.region.scope_code
            departments = departments.filter(region__scope_code__startswith=scope)
        self.fields["lead_department"].queryset = departments.filter(kind__code="civil_affairs")
        self.fields["participating_departments"].queryset = departments.exclude(kind__code="civil_affairs")
        if actor_department is not None and actor_department.kind.code == "civil_affairs":
            self.fields["lead_department"].initial = actor_department.pk
        published = ChecklistVersion.objects.filter(published_at__isnull=False)
        self.fields["checklist_version"].queryset = published
        active = published.filter(active=True).first()
        if active is not None:
            self.fields["checklist_version"].initial = active.pk
        self.fields["year"].initial = timezone.localdate().year


class DrawCommitForm(BootstrapMixin, forms.Form):
    count = forms.IntegerField(label=_("抽取机构数"), min_value=1)
    team_size_min = forms.IntegerField(label=_("每组最少检查人员"), min_value=2, initial=2)
    uninspected_first = forms.BooleanField(label=_("未检查的机构优先（年末补齐全覆盖）"), required=False)
