"""Findings (问题隐患) for staff: every list and detail reads through `Finding.objects.restrict()`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from agencies.access import explain
from agencies.choices import RegionLevel
from agencies.models import Region
from agencies.pagination import CappedPaginator
from agencies.views import style_filter_form, wants_fragment

from ..filtersets import FindingFilterSet
from ..models import Finding

PAGE_SIZE = 50


def visible_findings(user):
    return Finding.objects.restrict(user, "view").select_related("institution", "domain", "found_by")


@login_required
def finding_list(request):
    filterset = FindingFilterSet(request.GET or None, queryset=visible_findings(request.user))
    style_filter_form(filterset.form)
    page = CappedPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "inspections/_finding_results.html" if wants_fragment(request) else "inspections/finding_list.html"
    response = render(request, template, {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "districts": Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"),
    })
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def finding_detail(request, pk):
    # Out of scope and missing answer the same 404: the page must not reveal that a record exists.
    finding = get_object_or_404(visible_findings(request.user).select_related("institution__region",
                                                                              "verifying_department")
                                .prefetch_related("photos"), pk=pk)
    from .rectification import followup_context

    return render(request, "inspections/finding_detail.html", {
        "finding": finding,
        "reasons": explain(request.user, finding, "view"),
        **followup_context(request, finding),
    })
