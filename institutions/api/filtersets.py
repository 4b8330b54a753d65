import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.access import prefix_upper_bound
from agencies.choices import InstitutionFact
from agencies.models import Region

from ..choices import InstitutionStatus
from ..models import Institution


class StrictBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`); absent or empty: no filter. Anything else is an error naming the parameter —
    django-filter's own boolean field reads it as "no filter" and lists every institution."""

    widget = forms.TextInput
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(_("须为 true 或 false。"), code="invalid") from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class InstitutionFilterSet(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(label=_("所在区划"), queryset=Region.objects.all())
    region_code = django_filters.CharFilter(
        label=_("区划代码前缀"), method="filter_region_code",
        validators=[RegexValidator(r"^\d{1,12}$", _("区划代码前缀只能由数字组成。"))])
    status = django_filters.ChoiceFilter(label=_("状态"), choices=InstitutionStatus.choices)
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")

    class Meta:
        model = Institution
        # The facts are booleans: `?medical_insurance_designated=true` and so on.
        fields = ["region", "region_code", "status", "q", *InstitutionFact.values]
        filter_overrides = {models.BooleanField: {"filter_class": StrictBooleanFilter}}

    def filter_region_code(self, queryset, name, value):
        # A range rather than LIKE 'x%': a plain b-tree index answers it on PostgreSQL whatever the collation.
        return queryset.filter(region_code__gte=value, region_code__lt=prefix_upper_bound(value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(uscc=value.strip().upper()))
