"""Annual plans and their verifiable draws: the staff pages (civil affairs plans, commits and executes) and the
public pages (一公开: the commitment before, the seed, input and result after, and an online re-run).

Plans and draws are programmes, not regulated records: staff read them through `selectors.plans_visible_to`,
the public through `selectors.public_plans` / `public_draws`; every write goes through the services.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Department

from ..choices import DrawState, PlanState
from ..forms.draws import DrawCommitForm, PlanForm
from ..models import Draw, InspectionPlan
from ..selectors import (
    draw_assignments,
    draw_summary,
    plan_candidate_rows,
    plans_visible_to,
    public_draws,
    public_plans,
    verify_stored_draw,
)
from ..services import draw_commit, draw_execute, may_operate, plan_create, plan_publish
from ..services.catalog import CIVIL_AFFAIRS
from ..services.draws import default_count, required_departments

PAGE_SIZE = 50


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _own_department(user) -> Department | None:
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return None
    return Department.objects.select_related("kind", "region").get(pk=profile.department_id)


def _may_plan(user) -> bool:
    department = _own_department(user)
    return user.is_superuser or (department is not None and department.kind.code == CIVIL_AFFAIRS)


def _plan_with_draws(queryset):
    return queryset.prefetch_related(
        Prefetch("participating_departments", queryset=Department.objects.order_by("region__code", "kind__code")),
        Prefetch("draws", queryset=Draw.objects.order_by("number")))


# ------------------------------------------------------------------------------------------------ staff


@login_required
@require_GET
def plan_list(request):
    plans = _plan_with_draws(plans_visible_to(request.user)).order_by("-year", "-id")[:PAGE_SIZE]
    return render(request, "inspections/draws/plan_list.html",
                  {"plans": plans, "may_plan": _may_plan(request.user)})


@login_required
def plan_create_view(request):
    if not _may_plan(request.user):
        raise Http404
    form = PlanForm(request.POST or None, actor_department=_own_department(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("计划已保存为草稿，发布后即可抽取。"))
            return redirect("plan-detail", pk=plan.pk)
    return render(request, "inspections/draws/plan_form.html", {"form": form})


@login_required
@require_GET
def plan_detail(request, pk):
    plan = get_object_or_404(_plan_with_draws(plans_visible_to(request.user)), pk=pk)
    operator = may_operate(request.user, plan)
    draws = list(plan.draws.all())
    open_draw = next((d for d in draws if d.state == DrawState.COMMITTED), None)
    commit_form = None
    if operator and plan.state == PlanState.PUBLISHED and open_draw is None:
        # As the plan's year runs out (its last quarter), the not-yet-inspected come first by default, so that
        # every institution is inspected at least once that year (seed 002 二(二)3).
        commit_form = DrawCommitForm(initial={
            "count": max(1, default_count(plan, len(plan_candidate_rows(plan)))),
            "uninspected_first": timezone.localdate() >= dt.date(plan.year, 10, 1)})
    return render(request, "inspections/draws/plan_detail.html", {
        "plan": plan, "draws": draws, "open_draw": open_draw, "operator": operator, "commit_form": commit_form,
        "required": required_departments(plan)})


@login_required
@require_POST
def plan_publish_view(request, pk):
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    try:
        plan_publish(request.user, plan)  # PermissionDenied → 403
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("计划已发布，并在公开网站公示。"))
    return redirect("plan-detail", pk=plan.pk)


@login_required
@require_POST
def draw_commit_view(request, pk):
    plan = get_object_or_404(_plan_with_draws(plans_visible_to(request.user)), pk=pk)
    form = DrawCommitForm(request.POST)
    if form.is_valid():
        try:
            draw = draw_commit(request.user, plan, **form.cleaned_data)  # PermissionDenied → 403
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("承诺已公布：抽取前任何人都可以看到下列哈希值，种子在抽取后公开。"))
            return redirect("draw-detail", pk=draw.pk)
    return render(request, "inspections/draws/plan_detail.html", {
        "plan": plan, "draws": list(plan.draws.all()), "open_draw": None, "operator": True, "commit_form": form,
        "required": required_departments(plan)}, status=400)


def _staff_draw(user, pk) -> Draw:
    plans = plans_visible_to(user)
    return get_object_or_404(Draw.objects.select_related("plan__lead_department", "committed_by", "executed_by")
                             .filter(plan__in=plans), pk=pk)


@login_required
@require_GET
def draw_detail(request, pk):
    draw = _staff_draw(request.user, pk)
    return render(request, "inspections/draws/draw_detail.html", {
        "draw": draw, "plan": draw.plan, "operator": may_operate(request.user, draw.plan),
        "assignments": draw_assignments(draw) if draw.is_executed else [], "summary": draw_summary(draw)})


@login_required
@require_POST
def draw_execute_view(request, pk):
    draw = _staff_draw(request.user, pk)
    try:
        draw_execute(request.user, draw)  # PermissionDenied → 403
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("抽取完成，种子已公开；任何人都可以在公开页面核验结果。"
                                    "系统正在后台为抽中的机构安排检查，进度见“后台任务”。"))
    return redirect("draw-detail", pk=draw.pk)


# ----------------------------------------------------------------------------------------------- public


def _public_draw(pk) -> Draw:
    return get_object_or_404(public_draws(), pk=pk)


@require_GET
def public_draw_list(request):
    plans = _plan_with_draws(public_plans())[:PAGE_SIZE]
    return render(request, "inspections/draws/public_list.html", {"plans": plans})


@require_GET
def public_draw_detail(request, pk, verification=None):
    draw = _public_draw(pk)
    plan = (InspectionPlan.objects.select_related("lead_department", "checklist_version")
            .prefetch_related("participating_departments").get(pk=draw.plan_id))
    return render(request, "inspections/draws/public_draw.html", {
        "draw": draw, "plan": plan, "summary": draw_summary(draw),
        "assignments": draw_assignments(draw, with_names=False) if draw.is_executed else [],
        "verification": verification})


@require_GET
def public_draw_verify(request, pk):
    """在线核验: re-run the draw on the server from what is published and say whether it matches."""
    draw = _public_draw(pk)
    return public_draw_detail(request, pk, verification=verify_stored_draw(draw))


def _download(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def public_draw_input(request, pk):
    """The canonical input bytes exactly as committed: their SHA-256 is the published input hash."""
    draw = _public_draw(pk)
    return _download(draw.input_json, f"draw-{draw.pk}-input.json")


@require_GET
def public_draw_result(request, pk):
    draw = _public_draw(pk)
    if not draw.is_executed:
        raise Http404
    return _download(draw.result_json, f"draw-{draw.pk}-result.json")


urlpatterns = [
    path("inspections/plans/", plan_list, name="plan-list"),
    path("inspections/plans/new/", plan_create_view, name="plan-create"),
    path("inspections/plans/<int:pk>/", plan_detail, name="plan-detail"),
    path("inspections/plans/<int:pk>/publish/", plan_publish_view, name="plan-publish"),
    path("inspections/plans/<int:pk>/draws/commit/", draw_commit_view, name="draw-commit"),
    path("inspections/draws/<int:pk>/", draw_detail, name="draw-detail"),
    path("inspections/draws/<int:pk>/execute/", draw_execute_view, name="draw-execute"),
    path("public/draws/", public_draw_list, name="public-draw-list"),
    path("public/draws/<int:pk>/", public_draw_detail, name="public-draw-detail"),
    path("public/draws/<int:pk>/verify/", public_draw_verify, name="public-draw-verify"),
    path("public/draws/<int:pk>/input.json", public_draw_input, name="public-draw-input"),
    path("public/draws/<int:pk>/result.json", public_draw_result, name="public-draw-result"),
]
