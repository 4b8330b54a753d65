"""Forms of the public directory and the staff import page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.choices import RegionLevel
from agencies.models import Region

from ..choices import LegalForm
from ..selectors import PUBLIC_FILING_STATUSES, search_public_institutions

STAR_CHOICES = [("", _("全部"))] + [(str(n), _("%(n)d星级") % {"n": n}) for n in range(1, 6)]


class DirectorySearchForm(forms.Form):
    """A plain GET form: it works without JavaScript, and the public API reads the same parameters."""

    q = forms.CharField(label=_("机构名称或信用代码"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入机构名称关键字")}))
    district = forms.ModelChoiceField(label=_("所在区"), required=False, empty_label=_("全部"),
                                      queryset=Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"))
    legal_form = forms.ChoiceField(label=_("机构类型"), required=False,
                                   choices=[("", _("全部"))] + list(LegalForm.choices))
    star_level = forms.TypedChoiceField(label=_("星级"), required=False, choices=STAR_CHOICES, coerce=int,
                                        empty_value=None)
    filing_status = forms.ChoiceField(label=_("备案状态"), required=False,
                                      choices=[("", _("全部"))] + [(s.value, s.label) for s in PUBLIC_FILING_STATUSES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField)
                                          else "form-control")

    def results(self):
        """The matching public institutions; an invalid parameter is ignored rather than failing the page."""
        data = self.cleaned_data if self.is_valid() else {}
        return search_public_institutions(
            q=data.get("q", ""), district=data.get("district"), legal_form=data.get("legal_form", ""),
            star_level=data.get("star_level"), filing_status=data.get("filing_status", ""))


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("机构名录Excel文件（.xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的Excel文件"))
        if f.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过20MB"))
        return f
