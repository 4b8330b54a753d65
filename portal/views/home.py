"""The shell's own pages: the public home and the staff home (工作台)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from agencies.filtersets import SEED_CHOICES
from agencies.models import Duty
from inspections.models import Finding

from ..context_processors import identity
from ..workqueue import queue_for_request

HOME_ITEMS = 8  # the most urgent items of the work queue shown on the home page


def public_home(request):
    # The published catalog (seed 001 row 7: 监管清单向社会公布) is the public site's first offer.
    labels = dict(SEED_CHOICES)
    sources = [{"seed": row["source_seed"], "label": labels.get(row["source_seed"], row["source_seed"]), "n": row["n"]}
               for row in Duty.objects.filter(active=True).values("source_seed").annotate(n=Count("id"))
               .order_by("source_seed")]
    return render(request, "portal/public_home.html", {"duty_sources": sources,
                                                       "duty_total": sum(s["n"] for s in sources)})


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
