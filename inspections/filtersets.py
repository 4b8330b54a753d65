import django_filters
from django.utils.translation import gettext_lazy as _

from agencies.models import Domain

from .models import Finding


class FindingFilterSet(django_filters.FilterSet):
    domain = django_filters.ModelChoiceFilter(label=_("监管领域"), to_field_name="code", queryset=Domain.objects.all())
    institution = django_filters.NumberFilter(label=_("机构"), field_name="institution_id")
    region = django_filters.CharFilter(label=_("区划前缀"), method="filter_region")

    class Meta:
        model = Finding
        fields = ["domain", "institution", "region"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region_code__startswith=value)
