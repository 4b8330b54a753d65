"""Forms for leads, disclosure, ratings, incidents and drills. They only validate input; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.choices import RegionLevel
from agencies.models import Region

from ..choices import DisclosureKind, IncidentType, LeadOutcome, LeadSource
from ..uscc import validate_uscc

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"


class LeadForm(BootstrapMixin, forms.Form):
    operator_name = forms.CharField(label=_("经营者名称"), max_length=128)
    address = forms.CharField(label=_("地址"), max_length=255)
    region = forms.ModelChoiceField(label=_("所在区划"), queryset=Region.objects.none())
    registered = forms.BooleanField(label=_("已依法登记（已登记未备案）"), required=False)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False, validators=[validate_uscc])
    source = forms.ChoiceField(label=_("线索来源"), choices=LeadSource.choices)
    description = forms.CharField(label=_("线索情况"), widget=forms.Textarea(attrs={"rows": 3}))
    discovered_on = forms.DateField(label=_("发现（收住老年人）日期"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Districts and streets only: a lead in a city-level region would fall outside every district bureau.
        self.fields["region"].queryset = Region.objects.exclude(level=RegionLevel.CITY).order_by("code")


class LeadCheckForm(BootstrapMixin, forms.Form):
    checked_on = forms.DateField(label=_("现场检查日期"), widget=DATE)
    notes = forms.CharField(label=_("现场检查情况"), widget=forms.Textarea(attrs={"rows": 3}))


class LeadCloseForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=LeadOutcome.choices)
    note = forms.CharField(label=_("处置说明"), widget=forms.Textarea(attrs={"rows": 3}))


class DisclosureForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("公开事项"), choices=DisclosureKind.choices)
    content = forms.CharField(label=_("公开内容"), widget=forms.Textarea(attrs={"rows": 4}))


class RatingForm(BootstrapMixin, forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None)
    level = forms.TypedChoiceField(label=_("等级（星）"), coerce=int, choices=[(n, f"{n}星") for n in range(1, 6)])
    rated_on = forms.DateField(label=_("评定日期"), widget=DATE)
    valid_until = forms.DateField(label=_("有效期至"), widget=DATE)
    rating_body = forms.CharField(label=_("评定机构"), max_length=128)
    certificate_no = forms.CharField(label=_("证书编号"), max_length=64, required=False)

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are what the reader may see; the service checks the chosen one again.
        self.fields["institution"].queryset = institutions


class IncidentForm(BootstrapMixin, forms.Form):
    type = forms.ChoiceField(label=_("事件类型"), choices=IncidentType.choices)
    occurred_at = forms.DateTimeField(label=_("发生时间"),
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    people_affected = forms.IntegerField(label=_("涉及人数"), min_value=0, initial=0)
    injuries = forms.IntegerField(label=_("受伤人数"), min_value=0, initial=0)
    deaths = forms.IntegerField(label=_("死亡人数"), min_value=0, initial=0)
    description = forms.CharField(label=_("事件经过"), widget=forms.Textarea(attrs={"rows": 4}))
    measures = forms.CharField(label=_("已采取措施"), widget=forms.Textarea(attrs={"rows": 3}))


class DrillForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label=_("演练日期"), widget=DATE)
    topic = forms.CharField(label=_("演练内容"), max_length=128)
    participants = forms.IntegerField(label=_("参加人数"), min_value=0)
    summary = forms.CharField(label=_("演练总结"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
