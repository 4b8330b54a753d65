"""The supervision-effectiveness dashboard (监管效能) and the seed 004 evaluation form export.

Staff see the city and the districts their department covers, leaders the same read-only (the page changes
nothing); every figure comes from `portal.dashboard`, which reads through restrict(). A jurisdiction outside the
user's region answers 404, as an out-of-scope record does.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from agencies.audit import audit_event

from ..context_processors import identity
from ..dashboard import build_dashboard, chart_data, jurisdictions_for, period_for, verify_working_days
from ..evaluation import fill, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_YEAR = 2020


class DashboardFilterForm(forms.Form):
    region = forms.ChoiceField(label=_("辖区"), required=False)
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)

    def __init__(self, data, jurisdictions, this_year: int):
        super().__init__(data)
        self.fields["region"].choices = [(j.prefix, j.name) for j in jurisdictions]
        self.fields["year"].choices = [(y, _("%(y)d年") % {"y": y}) for y in range(this_year, FIRST_YEAR - 1, -1)]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def _selection(request):
    """(form, jurisdiction, period) from ?region=&year=; 404 for no jurisdiction or one outside the user's."""
    jurisdictions = jurisdictions_for(request.user)
    if not jurisdictions:
        raise Http404
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, jurisdictions, today.year)
    asked = request.GET.get("region", "")
    by_prefix = {j.prefix: j for j in jurisdictions}
    if asked and asked not in by_prefix:
        raise Http404
    year = None
    if form.is_bound and form.is_valid():
        year = form.cleaned_data.get("year") or None
    return form, by_prefix.get(asked, jurisdictions[0]), period_for(year, today)


@login_required
@require_GET
def dashboard(request):
    form, jurisdiction, period = _selection(request)
    board = build_dashboard(request.user, jurisdiction, period)
    profile = identity(request).profile  # the header's own lookup: no extra query
    return render(request, "portal/dashboard.html", {
        "form": form, "board": board, "charts": chart_data(board),
        "indicators": [row for row in fill(board) if row.answer is not None],
        "read_only": profile is not None and profile.role == "leader",
        "verify_days": verify_working_days(),
        "query": f"region={jurisdiction.prefix}&year={period.year}",
    })


@login_required
@require_GET
def evaluation_export(request):
    """The filled 评估表 as .xlsx; downloading it is an audited event, like every export."""
    _form, jurisdiction, period = _selection(request)
    board = build_dashboard(request.user, jurisdiction, period)
    content = workbook(board, absolute=request.build_absolute_uri)
    audit_event(request.user, "dashboard.evaluation_export", "portal.evaluation_form", jurisdiction.prefix,
                after={"format": "xlsx", "region": jurisdiction.prefix, "year": period.year})
    response = HttpResponse(content, content_type=XLSX)
    name = f"evaluation-{jurisdiction.prefix}-{period.year}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
