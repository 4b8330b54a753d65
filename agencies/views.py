"""The duty catalog (监管职责清单) as pages: one for staff, one for the public (seed 001 row 7: 监管清单向社会公布).

Both render the same table; they differ only in who may open them and where their rows link to.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from .choices import Action, InstitutionFact
from .filtersets import SEED_CHOICES, DutyFilterSet
from .models import Duty

PAGE_SIZE = 50
ACTION_LABELS = dict(Action.choices)
FACT_LABELS = dict(InstitutionFact.choices)
SEED_LABELS = dict(SEED_CHOICES)


def catalog_queryset():
    # Every many-to-many the row shows is prefetched: a page costs the same queries for 1 duty or 50.
    return Duty.objects.filter(active=True).prefetch_related("department_kinds", "domains")


def label_duty(duty: Duty) -> Duty:
    """Chinese labels for the JSON lists; an unknown value is shown as stored rather than hidden."""
    duty.action_labels = [ACTION_LABELS.get(a, a) for a in duty.actions]
    duty.condition_labels = [FACT_LABELS.get(f, f) for f in duty.applies_if]
    duty.source_label = SEED_LABELS.get(duty.source_seed, duty.source_seed)
    return duty


def style_filter_form(form):
    """Bootstrap classes and a readable "all" choice on a django-filter form, without touching the filterset."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("全部")  # read lazily when the options are rendered
        elif isinstance(field, forms.ChoiceField) and hasattr(field, "empty_label"):
            # django-filter's choice iterator reads empty_label, but the widget's copy still points at the
            # filter's original field: hand the widget the choices as they are now.
            field.empty_label = _("全部")
            field.widget.choices = list(field.choices)
        field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
    return form


def wants_fragment(request) -> bool:
    # htmx swaps only the results; a history restore after a cache miss needs the whole page.
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def _catalog(request, *, public: bool):
    filterset = DutyFilterSet(request.GET or None, queryset=catalog_queryset())
    form = filterset.form
    # The filterset takes an action code as free text; offer the actions as a choice instead.
    form.fields["action"].widget = forms.Select(choices=[("", _("全部")), *Action.choices])
    form.fields["q"].widget = forms.TextInput(attrs={"type": "search", "placeholder": _("编号、要求、原文或单位")})
    style_filter_form(form)
    # An unknown code (a stale bookmark) leaves that filter out; the form shows why.
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for duty in page.object_list:
        label_duty(duty)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "public": public,
        "query": query.urlencode(),
        "detail_url_name": "public-duty-detail" if public else "duty-detail",
    }
    template = "agencies/_duty_results.html" if wants_fragment(request) else "agencies/duty_catalog.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _detail(request, pk, *, public: bool):
    duty = label_duty(get_object_or_404(catalog_queryset().select_related("lead_kind"), pk=pk))
    return render(request, "agencies/duty_detail.html", {"duty": duty, "public": public})


@login_required
def duty_catalog(request):
    return _catalog(request, public=False)


def public_duty_catalog(request):
    return _catalog(request, public=True)


@login_required
def duty_detail(request, pk):
    return _detail(request, pk, public=False)


def public_duty_detail(request, pk):
    return _detail(request, pk, public=True)
