import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Category, ComplaintState, Outcome, Priority
from .models import Complaint


class ComplaintFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("查询码、机构或内容"), method="filter_text")
    state = django_filters.ChoiceFilter(label=_("状态"), choices=ComplaintState.choices)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=Category.choices)
    priority = django_filters.ChoiceFilter(label=_("紧急程度"), choices=Priority.choices)
    outcome = django_filters.ChoiceFilter(label=_("核实结论"), choices=Outcome.choices)
    institution = django_filters.NumberFilter(label=_("机构"), field_name="institution_id")

    class Meta:
        model = Complaint
        fields = ["q", "state", "category", "priority", "outcome", "institution"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code=value.upper()) | Q(institution__name__icontains=value)
                               | Q(operator_name__icontains=value) | Q(description__icontains=value))
