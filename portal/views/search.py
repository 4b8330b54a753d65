"""The public site's one search box: institutions by name, 统一社会信用代码 or district, each with what has been
published about it (inspection results, credit lists, supervised hazards) — all read through the public
selectors of their apps, the same disclosure rules as their own pages."""

from collections import defaultdict

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.choices import RegionLevel
from agencies.models import Region
from credit.selectors import public_list_entries
from inspections.selectors import public_results
from inspections.services.findings import supervised_cases_public
from institutions.selectors import search_public_institutions

PAGE_SIZE = 20
MAX_QUERY = 64


def matching_district(q: str) -> Region | None:
    """“和平”, “和平区” or “天津市和平区” all mean the district 和平区."""
    name = q.removeprefix("天津市")
    if len(name) < 2:
        return None
    return (Region.objects.filter(level=RegionLevel.DISTRICT, name__in=[name, f"{name}区"])
            .only("id", "code", "scope_code", "name").first())


def search_institutions(q: str):
    found = search_public_institutions(q=q)
    district = matching_district(q)
    if district is not None:
        found = found | search_public_institutions(district=district)
    return found, district


def published_about(institution_ids) -> dict:
    """What is published about these institutions, grouped by institution id."""
    published = defaultdict(lambda: {"results": [], "entries": [], "cases": []})
    for result in public_results().filter(institution_id__in=institution_ids):
        published[result.institution_id]["results"].append(result)
    for entry in public_list_entries().filter(institution_id__in=institution_ids):
        published[entry.institution_id]["entries"].append(entry)
    for case in supervised_cases_public().filter(institution_id__in=institution_ids):
        published[case.institution_id]["cases"].append(case)
    return published


@require_GET
def public_search(request):
    # A NUL byte (which PostgreSQL refuses in text) is dropped from the search term, not an error.
    q = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY]
    page, district = None, None
    if q:
        found, district = search_institutions(q)
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        published = published_about([inst.pk for inst in page.object_list])
        for inst in page.object_list:
            inst.published = published.get(inst.pk, {"results": [], "entries": [], "cases": []})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/public_search.html",
                  {"q": q, "page": page, "district": district, "query": query.urlencode()})
