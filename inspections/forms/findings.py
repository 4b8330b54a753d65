"""Forms for rectification, verification, referrals, supervised cases and suspension orders, and the filters of the
three lists. They only validate input; the services write (and name the field when they refuse)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Department, Domain, Region

from ..choices import ReferralKind

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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class RectificationForm(BootstrapMixin, forms.Form):
    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 5}),
                               help_text=_("写明已采取的措施、完成时间和责任人。"))
    evidence = MultipleFileField(label=_("佐证材料（照片或PDF，可多选）"), required=False,
                                 help_text=_("JPEG、PNG 或 PDF，每个不超过 10 MB，最多 10 个。"))


class VerifyForm(BootstrapMixin, forms.Form):
    rectification = forms.IntegerField(widget=forms.HiddenInput)
    accepted = forms.TypedChoiceField(label=_("验收结论"), coerce=lambda v: v == "1",
                                      choices=[("1", _("验收通过，销号")), ("0", _("退回重改"))],
                                      widget=forms.RadioSelect)
    note = forms.CharField(label=_("验收意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("退回时必填。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accepted"].widget.attrs["class"] = "form-check-input"


class ReferralSendForm(BootstrapMixin, forms.Form):
    to_department = forms.ModelChoiceField(label=_("接收部门"), queryset=Department.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=ReferralKind.choices)
    reason = forms.CharField(label=_("移送事由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The competent departments only (duty catalog); the service checks again.
        self.fields["to_department"].queryset = Department.objects.filter(pk__in=[d.pk for d in departments]) \
            .order_by("region__code", "kind__code")


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))


class SupervisedCaseForm(BootstrapMixin, forms.Form):
    requirements = forms.CharField(label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("督办期限"), widget=DATE)


class SuspensionForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 2}))
    basis = forms.CharField(label=_("依据"), required=False)


class ListFilterForm(BootstrapMixin, forms.Form):
    """Filters of the three lists: per institution, per department, per district."""

    district = forms.ModelChoiceField(label=_("所在区"), required=False, to_field_name="code",
                                      queryset=Region.objects.filter(level="district").order_by("code"),
                                      empty_label=_("全部"))
    domain = forms.ModelChoiceField(label=_("监管领域"), required=False, to_field_name="code",
                                    queryset=Domain.objects.order_by("id"), empty_label=_("全部"))
    department = forms.ModelChoiceField(label=_("检查/验收部门"), required=False, queryset=Department.objects.none(),
                                        empty_label=_("全部"))
    institution = forms.IntegerField(label=_("机构"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments
