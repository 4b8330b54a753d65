"""Supervised cases (挂牌督办) and suspension orders (责令停业整顿) for staff, the public list of open supervised cases,
and the three lists with their Excel export. Staff reads go through `restrict()`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.choices import Action
from agencies.models import Department
from agencies.selectors import department_of

from .. import lists
from ..choices import SupervisedCaseState, SuspensionState
from ..forms.findings import ListFilterForm
from ..models import SupervisedCase, SuspensionOrder
from ..services.findings import (
    supervised_case_lift,
    supervised_cases_public,
    suspension_order_issue,
    suspension_order_lift,
    suspension_order_withdraw,
)
from .findings import CappedPaginator

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _flash(request, call, success):
    try:
        call()
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(request, success)


# ----------------------------------------------------------------------------------------------- supervised cases


@login_required
def supervised_case_list(request):
    queryset = (SupervisedCase.objects.restrict(request.user, Action.VIEW)
                .select_related("institution", "domain", "supervising_department", "finding")
                .order_by("state", "deadline", "id"))
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    department = department_of(request.user)
    return render(request, "inspections/supervised_case_list.html", {
        "page": page, "today": timezone.localdate(), "open": SupervisedCaseState.OPEN,
        "department_id": getattr(department, "pk", None)})


@login_required
@require_POST
def supervised_case_lift_view(request, pk):
    case = get_object_or_404(SupervisedCase.objects.restrict(request.user, Action.VIEW), pk=pk)
    _flash(request, lambda: supervised_case_lift(request.user, case, request.POST.get("note", "")),
           _("已销号，公开名单中不再显示。"))
    return redirect("supervised-case-list")


@require_GET
def public_supervised_cases(request):
    """Open supervised cases (seed 000 #3): institution, hazard, supervising unit, deadline — nothing personal."""
    return render(request, "inspections/public_supervised_cases.html", {"cases": supervised_cases_public()[:500]})


# ----------------------------------------------------------------------------------------------- suspension orders


@login_required
def suspension_order_list(request):
    queryset = (SuspensionOrder.objects.restrict(request.user, Action.VIEW)
                .select_related("institution", "domain", "issued_by", "finding").order_by("state", "-issued_on", "-id"))
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    department = department_of(request.user)
    return render(request, "inspections/suspension_order_list.html", {
        "page": page, "states": SuspensionState, "department_id": getattr(department, "pk", None)})


@login_required
@require_POST
def suspension_order_action(request, pk, action):
    order = get_object_or_404(SuspensionOrder.objects.restrict(request.user, Action.VIEW), pk=pk)
    note = request.POST.get("note", "")
    calls = {
        "issue": (lambda: suspension_order_issue(request.user, order.finding_id, note, order.basis, order=order),
                  _("已责令停业整顿。")),
        "withdraw": (lambda: suspension_order_withdraw(request.user, order, note), _("已决定不予停业整顿。")),
        "lift": (lambda: suspension_order_lift(request.user, order, note), _("已解除停业整顿。")),
    }
    if action not in calls:
        raise Http404
    _flash(request, *calls[action])
    return redirect("suspension-order-list")


# ----------------------------------------------------------------------------------------------- three lists


def _list_args(request):
    visible_departments = Department.objects.select_related("region").order_by("region__code", "kind__code")
    form = ListFilterForm(request.GET or None, departments=visible_departments)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {k: data.get(k) for k in ("district", "domain", "department", "institution")}


@login_required
def finding_lists_home(request):
    return redirect("finding-lists", lists.PROBLEMS)


@login_required
def finding_lists(request, kind):
    if kind not in lists.TITLES:
        raise Http404
    form, filters = _list_args(request)
    queryset = lists.list_queryset(request.user, kind, **filters)
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    cols = lists.columns(kind)
    return render(request, "inspections/finding_lists.html", {
        "kind": kind, "title": lists.TITLES[kind], "description": lists.DESCRIPTIONS[kind], "kinds": lists.TITLES,
        "form": form, "page": page, "headers": [c.header for c in cols], "rows": lists.rows(page.object_list, kind),
        "query": query.urlencode()})


@login_required
def finding_lists_export(request, kind):
    if kind not in lists.TITLES:
        raise Http404
    _form, filters = _list_args(request)
    content = lists.export_workbook(lists.list_queryset(request.user, kind, **filters), kind)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


urlpatterns = [
    path("supervised-cases/", supervised_case_list, name="supervised-case-list"),
    path("supervised-cases/<int:pk>/lift/", supervised_case_lift_view, name="supervised-case-lift"),
    path("public/supervised-cases/", public_supervised_cases, name="public-supervised-cases"),
    path("suspension-orders/", suspension_order_list, name="suspension-order-list"),
    path("suspension-orders/<int:pk>/<str:action>/", suspension_order_action, name="suspension-order-action"),
    path("finding-lists/", finding_lists_home, name="finding-lists-home"),
    path("finding-lists/<str:kind>/", finding_lists, name="finding-lists"),
    path("finding-lists/<str:kind>/export.xlsx", finding_lists_export, name="finding-lists-export"),
]
