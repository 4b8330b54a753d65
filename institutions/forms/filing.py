"""Forms of the filing pages. Field errors name the field; a failed POST re-renders with everything typed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import REQUIRED_MATERIALS, FilingKind, MaterialKind, OnSiteCheckResult
from ..models import Filing
from ..services.filing import FORM_FIELDS, MAX_MATERIAL_BYTES


class _Bootstrap:
    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class FilingForm(_Bootstrap, forms.ModelForm):
    """The items of the MCA filing form (养老机构备案书)."""

    class Meta:
        model = Filing
        fields = list(FORM_FIELDS)
        widgets = {"service_scope": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["contact_phone"].widget.attrs["inputmode"] = "tel"


class StartFilingForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("备案类型"), choices=FilingKind.choices)

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [(k, FilingKind(k).label) for k in kinds]
        self._style()


class MaterialForm(_Bootstrap, forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=MaterialKind.choices)
    file = forms.FileField(label=_("文件（PDF、JPG 或 PNG，不超过 10 MB）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
        self._style()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before the service reads it: the service checks again, by content.
        if upload.size > MAX_MATERIAL_BYTES:
            raise forms.ValidationError(_("文件不能超过 10 MB。"))
        return upload


class PledgeForm(_Bootstrap, forms.Form):
    signer_name = forms.CharField(label=_("承诺人姓名"), max_length=64)
    signer_title = forms.CharField(label=_("职务"), max_length=64, initial="法定代表人")
    agree = forms.BooleanField(label=_("我已阅读并同意以上承诺，承诺内容将向社会公开"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class ReturnForm(_Bootstrap, forms.Form):
    missing_items = forms.MultipleChoiceField(
        label=_("缺少或需补正的材料"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(str(MaterialKind(k).label), MaterialKind(k).label) for k in MaterialKind.values])
    other_items = forms.CharField(label=_("其他需补正事项（每行一项）"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        data = super().clean()
        items = list(data.get("missing_items") or [])
        items += [line.strip() for line in (data.get("other_items") or "").splitlines() if line.strip()]
        if not items:
            raise forms.ValidationError(_("请至少勾选或填写一项需补正的事项。"))
        data["items"] = items
        return data


class ApproveForm(_Bootstrap, forms.Form):
    below_accessibility_standard = forms.BooleanField(label=_("未达到无障碍设施标准（通报住建部门）"), required=False)
    below_fire_standard = forms.BooleanField(label=_("未达到消防安全标准（通报消防救援机构）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class OnSiteCheckForm(_Bootstrap, forms.Form):
    result = forms.ChoiceField(label=_("核查结果"), choices=OnSiteCheckResult.choices)
    checked_on = forms.DateField(label=_("核查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("核查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()
        self._style()


REQUIRED_LABELS = [str(MaterialKind(k).label) for k in REQUIRED_MATERIALS]
