"""Credit pages. Every read of a regulated record goes through `restrict(user, action)`; out-of-scope and
missing records answer the same 404; every write calls a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from institutions.models import Institution
from institutions.services.records import own_institutions

from .choices import OPEN_LIST_STATES, EventKind, ListKind, ListState, RepairState
from .forms import EventForm, NoteForm, ObjectionForm, ProposeForm, RepairForm
from .models import CreditDocument, CreditRepair, ListEntry
from .selectors import (
    joint_measures_for,
    latest_evaluation,
    latest_risk,
    public_list_entries,
    visible_events,
    visible_list_entries,
)
from .services import actor_department
from .services.events import credit_event_record
from .services.lists import (
    credit_repair_apply,
    credit_repair_approve,
    credit_repair_reject,
    list_entry_decide,
    list_entry_notify,
    list_entry_object,
    list_entry_propose,
    list_entry_publish,
    list_entry_reject,
    list_entry_remove,
    list_entry_withdraw,
)

PAGE_SIZE = 50


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def entry_list(request):
    entries = visible_list_entries(request.user).order_by("-proposed_on", "-id")
    state = request.GET.get("state")
    if state in ListState.values:
        entries = entries.filter(state=state)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "credit/entry_list.html", {"page": page, "states": ListState.choices, "state": state,
                                                      "may_recompute": may_recompute_all(request.user)})


def may_recompute_all(user) -> bool:
    """Re-grading the whole city is the city civil-affairs bureau's (or an administrator's) to start."""
    department = actor_department(user)
    return user.is_superuser or (department is not None and department.kind.code == "civil_affairs"
                                 and department.level == "city")


@login_required
@require_POST
def recompute_all(request):
    from agencies.jobs import job_create
    from institutions.choices import InstitutionStatus

    from .tasks import RECOMPUTE_JOB_KIND, recompute_all_job

    if not may_recompute_all(request.user):
        raise PermissionDenied
    # The total is known now, so the bar has its scale from the first look.
    total = Institution.objects.exclude(status=InstitutionStatus.CLOSED).count()
    job = job_create(request.user, RECOMPUTE_JOB_KIND, _("重新评价全部机构的信用等级"), recompute_all_job, total=total)
    return redirect("job-detail", pk=job.pk)


@login_required
def institution_credit(request, pk):
    institution = get_object_or_404(Institution.objects.restrict(request.user).select_related("region"), pk=pk)
    department = actor_department(request.user)
    event_form, propose_form = EventForm(prefix="event"), ProposeForm(prefix="propose")
    if request.method == "POST":
        try:
            if "propose-list_kind" in request.POST:
                propose_form = ProposeForm(request.POST, prefix="propose")
                if propose_form.is_valid():
                    data = propose_form.cleaned_data
                    entry = list_entry_propose(
                        request.user, institution=institution, list_kind=data["list_kind"], ground=data["ground"],
                        domain_obj=data["domain"], facts=data["facts"], legal_basis=data["legal_basis"])
                    messages.success(request, _("已提请列入，请告知机构。"))
                    return redirect("credit-entry-detail", pk=entry.pk)
            else:
                event_form = EventForm(request.POST, prefix="event")
                if event_form.is_valid():
                    credit_event_record(request.user, institution=institution, **event_form.cleaned_data)
                    messages.success(request, _("信用事项已记录。"))
                    return redirect("credit-institution", pk=institution.pk)
        except ValidationError as error:
            _apply_errors(propose_form if "propose-list_kind" in request.POST else event_form, error)
        except PermissionDenied as error:
            form = propose_form if "propose-list_kind" in request.POST else event_form
            form.add_error(None, str(error))
    entries = visible_list_entries(request.user).filter(institution=institution).order_by("-proposed_on", "-id")
    current = [e for e in entries if e.state == ListState.PUBLISHED]
    measures = []
    for entry in current:
        measures += list(joint_measures_for(department, entry.list_kind))
    evaluation = latest_evaluation(request.user, institution)
    labels = {**dict(EventKind.choices), "blacklist": _("列入失信联合惩戒对象名单，等级定为D")}
    lines = [{**line, "label": labels.get(line["kind"], line["kind"])}
             for line in (evaluation.lines if evaluation else [])]
    return render(request, "credit/institution.html", {
        "institution": institution, "evaluation": evaluation, "lines": lines,
        "risk": latest_risk(request.user, institution),
        "events": visible_events(request.user).filter(institution=institution).order_by("-occurred_on", "-id")[:100],
        "entries": entries, "measures": measures, "is_staff_member": department is not None,
        "event_form": event_form, "propose_form": propose_form})


@login_required
def my_credit(request):
    institution = own_institutions(request.user).order_by("id").first()
    if institution is None:
        return redirect("credit-entry-list")
    return redirect("credit-institution", pk=institution.pk)


STEPS = {
    "notify": lambda user, entry, note: list_entry_notify(user, entry),
    "decide": lambda user, entry, note: list_entry_decide(user, entry, note=note),
    "reject": lambda user, entry, note: list_entry_reject(user, entry, note),
    "publish": lambda user, entry, note: list_entry_publish(user, entry),
    "remove": lambda user, entry, note: list_entry_remove(user, entry, note),
    "withdraw": lambda user, entry, note: list_entry_withdraw(user, entry, note),
}


def _entry(request, pk) -> ListEntry:
    return get_object_or_404(visible_list_entries(request.user).select_related("institution__region"), pk=pk)


@login_required
def entry_detail(request, pk):
    entry = _entry(request, pk)
    mine = own_institutions(request.user).filter(pk=entry.institution_id).exists()
    department = actor_department(request.user)
    return render(request, "credit/entry_detail.html", {
        "entry": entry, "is_account": mine,
        "is_listing_department": department is not None and department.pk == entry.department_id,
        "repairs": CreditRepair.objects.restrict(request.user).filter(list_entry=entry)
        .prefetch_related("documents").order_by("-id"),
        "note_form": NoteForm(), "objection_form": ObjectionForm(), "repair_form": RepairForm(),
        "measures": joint_measures_for(department, entry.list_kind),
        "ListState": ListState, "ListKind": ListKind, "RepairState": RepairState,
        "open_states": [s.value for s in OPEN_LIST_STATES]})


def _run(request, entry, call):
    try:
        call()
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("无权办理。"))
    return redirect("credit-entry-detail", pk=entry.pk)


@login_required
@require_POST
def entry_step(request, pk, step):
    entry = _entry(request, pk)
    if step not in STEPS:
        raise PermissionDenied
    note = request.POST.get("note", "")
    return _run(request, entry, lambda: STEPS[step](request.user, entry, note))


@login_required
@require_POST
def entry_object(request, pk):
    entry = _entry(request, pk)
    return _run(request, entry, lambda: list_entry_object(request.user, entry, request.POST.get("objection", "")))


@login_required
@require_POST
def repair_apply(request, pk):
    entry = _entry(request, pk)
    form = RepairForm(request.POST, request.FILES)
    files = [request.FILES["proof"]] if form.is_valid() and form.cleaned_data.get("proof") else []
    return _run(request, entry, lambda: credit_repair_apply(request.user, entry, request.POST.get("statement", ""),
                                                            files=files))


@login_required
@require_POST
def repair_review(request, pk, decision):
    repair = get_object_or_404(CreditRepair.objects.restrict(request.user), pk=pk)
    service = {"approve": credit_repair_approve, "reject": credit_repair_reject}.get(decision)
    if service is None:
        raise PermissionDenied
    return _run(request, repair.list_entry, lambda: service(request.user, repair, request.POST.get("note", "")))


@login_required
def document_download(request, pk):
    """A document of an event or a repair, to whoever may read its parent record (404 otherwise)."""
    document = get_object_or_404(CreditDocument.objects.select_related("event", "repair"), pk=pk)
    parent = document.event or document.repair
    if not type(parent).objects.restrict(request.user).filter(pk=parent.pk).exists():
        raise Http404
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name)


def public_lists(request):
    """The published lists (seed 000 #39; seed 004 4.3): grounds, basis, dates, listing department; no persons."""
    entries = public_list_entries()
    kind = request.GET.get("list")
    if kind in ListKind.values:
        entries = entries.filter(list_kind=kind)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "credit/public_lists.html", {"page": page, "kinds": ListKind.choices, "kind": kind})


urlpatterns = [
    path("credit/", entry_list, name="credit-entry-list"),
    path("credit/mine/", my_credit, name="credit-mine"),
    path("credit/recompute/", recompute_all, name="credit-recompute-all"),
    path("credit/institutions/<int:pk>/", institution_credit, name="credit-institution"),
    path("credit/entries/<int:pk>/", entry_detail, name="credit-entry-detail"),
    path("credit/entries/<int:pk>/object/", entry_object, name="credit-entry-object"),
    path("credit/entries/<int:pk>/repair/", repair_apply, name="credit-repair-apply"),
    path("credit/entries/<int:pk>/<slug:step>/", entry_step, name="credit-entry-step"),
    path("credit/repairs/<int:pk>/<slug:decision>/", repair_review, name="credit-repair-review"),
    path("credit/documents/<int:pk>/", document_download, name="credit-document"),
    path("public/credit/", public_lists, name="public-credit-lists"),
]
