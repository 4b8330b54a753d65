from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from agencies import widgets
from agencies.choices import RegionLevel
from agencies.models import Department, Region

from .attachments import MAX_FILES
from .choices import Category, Outcome

# Formatted per request: `gettext_lazy(...) % dict` would format once, at import, in the default language.
FILES_LABEL = lazy(lambda: _("图片或 PDF 附件（最多 %(n)d 个，每个不超过 10 MB）") % {"n": MAX_FILES}, str)()


class MultipleFileInput(widgets.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (content, size), not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control",
                                                             "accept": "image/jpeg,image/png,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def districts():
    return Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")


class DistrictChoices(ModelChoiceIterator):
    """(id, name) from one query — a region's label is its name — instead of a model per district (a province
    has a hundred) read through `.iterator()`, which on PostgreSQL is a server-side cursor: three round trips."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class DistrictField(forms.ModelChoiceField):
    iterator = DistrictChoices


def category_choices():
    """A callable, not a list: each form copies its fields, and a list of choices is copied item by item (70 µs,
    half of copying the whole form) where a callable is copied by reference."""
    return [("", _("请选择"))] + Category.choices


class ComplaintForm(forms.Form):
    """The public complaint form. The institution is chosen from the directory search shown above it (radio
    buttons, no script needed) or described as an unknown operator.

    Its widgets write their markup in Python (agencies.widgets): the busiest page of the portal."""

    category = forms.ChoiceField(label=_("投诉类别"), choices=category_choices,
                                 widget=widgets.Select(attrs={"class": "form-select"}))
    institution = forms.IntegerField(label=_("被投诉机构"), required=False, widget=widgets.HiddenInput)
    operator_name = forms.CharField(label=_("经营者名称（名录中找不到时填写）"), max_length=128, required=False,
                                    widget=widgets.TextInput(attrs={"class": "form-control"}))
    operator_address = forms.CharField(label=_("经营场所地址"), max_length=255, required=False,
                                       widget=widgets.TextInput(attrs={"class": "form-control"}))
    region = DistrictField(label=_("所在区"), queryset=districts(), required=False,
                           empty_label=_("不清楚"), widget=widgets.Select(attrs={"class": "form-select"}))
    description = forms.CharField(label=_("发生了什么"), max_length=5000,
                                  widget=widgets.Textarea(attrs={"class": "form-control", "rows": 6}))
    occurred_on = forms.DateField(label=_("发生日期（可不填）"), required=False,
                                  widget=widgets.DateInput(attrs={"class": "form-control", "type": "date"}))
    files = MultipleFileField(label=FILES_LABEL, required=False)
    complainant_name = forms.CharField(label=_("您的姓名（可匿名）"), max_length=64, required=False,
                                       widget=widgets.TextInput(attrs={"class": "form-control",
                                                                       "autocomplete": "name"}))
    complainant_phone = forms.CharField(label=_("联系电话（可不填）"), max_length=32, required=False,
                                        widget=widgets.TextInput(attrs={"class": "form-control", "type": "tel",
                                                                        "autocomplete": "tel"}))
    consent = forms.BooleanField(label=_(
        "我同意民政部门及承办部门为办理本投诉处理我留下的姓名和电话；这些信息不会告知被投诉机构。"), required=False,
        widget=widgets.CheckboxInput(attrs={"class": "form-check-input"}))
    captcha_token = forms.CharField(widget=widgets.HiddenInput)
    captcha_answer = forms.CharField(label=_("验证"), max_length=8,
                                     widget=widgets.TextInput(attrs={"class": "form-control", "inputmode": "numeric",
                                                                     "autocomplete": "off"}))


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=16,
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))
    secret = forms.CharField(label=_("查询密码"), max_length=32,
                             widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "off"},
                                                        render_value=True))


class AddInfoForm(forms.Form):
    text = forms.CharField(label=_("补充情况"), max_length=5000,
                           widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}))
    files = MultipleFileField(label=_("补充附件（图片或 PDF）"), required=False)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("对答复的满意度"), coerce=int,
                                    choices=[(5, _("5 非常满意")), (4, _("4 满意")), (3, _("3 基本满意")),
                                             (2, _("2 不满意")), (1, _("1 非常不满意"))],
                                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    comment = forms.CharField(label=_("评价意见（可不填）"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class RouteForm(forms.Form):
    lead_department = forms.ModelChoiceField(label=_("主办部门"), queryset=Department.objects.none(),
                                             widget=forms.Select(attrs={"class": "form-select"}))
    assist_departments = forms.ModelMultipleChoiceField(
        label=_("协办部门（可多选）"), queryset=Department.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 4}))
    note = forms.CharField(label=_("转办说明"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_department"].queryset = departments
        self.fields["assist_departments"].queryset = departments


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label=_("核实结论"), choices=[("", _("请选择"))] + Outcome.choices,
                                widget=forms.Select(attrs={"class": "form-select"}))
    measures = forms.CharField(label=_("处理措施"), max_length=5000, required=False,
                               widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))
    reply = forms.CharField(label=_("给投诉人的答复"), max_length=5000,
                            widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}))
    referral_note = forms.CharField(label=_("移送/告知说明（不属本部门职责时）"), max_length=2000, required=False,
                                    widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), max_length=2000,
                             widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class MergeForm(forms.Form):
    into = forms.CharField(label=_("合并至（另一件投诉的查询码）"), max_length=16,
                           widget=forms.TextInput(attrs={"class": "form-control"}))
