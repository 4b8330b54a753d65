"""The shell's own pages: the public home and the staff home (工作台)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from credit.selectors import public_list_entries
from inspections.models import Finding
from inspections.selectors import public_results

from ..context_processors import identity
from ..open_data import DATASETS, summarise
from ..workqueue import queue_for_request

HOME_ITEMS = 8  # the most urgent items of the work queue shown on the home page
LATEST = 5


# The public sections, in the order of the navigation: (page, title, open-data dataset counted, unit, what it holds)
PUBLIC_SECTIONS = [
    ("public-institution-list", _("养老机构查询"), "institutions", _("家机构"), _("名录、备案状态、信用承诺、星级")),
    ("public-inspection-results", _("监督检查结果"), "inspection-results", _("条结果"), _("“双随机、一公开”检查结果")),
    ("public-supervised-cases", _("挂牌督办"), "supervised-hazards", _("项重大隐患"), _("重大隐患挂牌督办整改")),
    ("public-credit-lists", _("信用名单"), "credit-lists", _("条公示"), _("失信惩戒、重点关注和红名单")),
    ("public-unfiled", _("未备案机构名单"), "unfiled-operators", _("家经营者"), _("尚未备案仍在经营，请注意甄别")),
    ("public-draw-list", _("双随机抽查"), "draw-results", _("家被抽中"), _("抽取承诺、种子、结果与在线核验")),
    ("public-duty-catalog", _("监管清单"), "duty-catalog", _("项职责"), _("各部门监管职责和监管措施")),
    ("complaint-public-form", _("投诉举报"), None, "", _("在线投诉，凭查询码跟踪办理")),
    ("public-open-data", _("开放数据"), None, "", _("全部公开数据 CSV / JSON 下载")),
]


def public_home(request):
    """The public site's front page: one search box, an entry card per public section with its live count, and
    the newest published results and list entries — every number read through the sections' own selectors."""
    summaries = {summary.dataset.slug: summary for summary in (summarise(d) for d in DATASETS)}
    sections = [{"url": reverse(url_name), "title": title, "unit": unit, "note": note,
                 "count": summaries[slug].count if slug else None, "slug": slug or url_name}
                for url_name, title, slug, unit, note in PUBLIC_SECTIONS]
    return render(request, "portal/public_home.html", {
        "sections": sections,
        "latest_results": list(public_results()[:LATEST]),
        "latest_entries": list(public_list_entries().order_by("-published_on", "-id")[:LATEST]),
    })


@login_required
def staff_home(request):
    who = identity(request)
    # Counts come from the same scope every list uses; never a hand-written department filter.
    visible = Finding.objects.restrict(request.user, "view")
    by_domain = list(visible.order_by().values("domain__code", "domain__name")
                     .annotate(n=Count("id")).order_by("-n", "domain__code"))
    queue = queue_for_request(request) if who.kind in ("staff", "admin", "institution") else None
    return render(request, "portal/staff_home.html", {
        "who": who,
        "queue": queue,
        "top_items": queue.items[:HOME_ITEMS] if queue else [],
        "findings_total": sum(row["n"] for row in by_domain),
        "findings_by_domain": by_domain,
    })
