"""Forms of the on-site execution page (built for a 390px phone, works without JavaScript)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Domain

from ..choices import Severity


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; the service checks each by its content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class FindingForm(forms.Form):
    checklist_item = forms.ModelChoiceField(label=_("检查事项"), queryset=None, required=False,
                                            empty_label=_("（不对应具体事项）"))
    domain = forms.ModelChoiceField(label=_("监管领域"), queryset=Domain.objects.all(), to_field_name="code",
                                    required=False, empty_label=_("（按检查事项）"),
                                    help_text=_("选择了检查事项时可不填，取该事项的领域。"))
    severity = forms.ChoiceField(label=_("隐患等级"), choices=Severity.choices, initial=Severity.GENERAL,
                                 widget=forms.RadioSelect)
    text = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    basis = forms.CharField(label=_("法律依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rectification_working_days = forms.IntegerField(label=_("整改期限（工作日）"), min_value=1, max_value=250,
                                                    initial=10)
    photos = MultiplePhotoField(label=_("现场照片"), required=False,
                                help_text=_("JPEG 或 PNG，每张不超过 10 MB，可多选。"))

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist_item"].queryset = inspection.items.select_related("domain").order_by("position", "id")
        self.fields["checklist_item"].label_from_instance = lambda item: f"{item.code} {item.text[:24]}"
        for name, field in self.fields.items():
            if name == "severity":
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), widget=forms.TextInput(attrs={"class": "form-control"}))
