"""Institution pages: filings. Every read of a regulated record goes through `restrict(user, action)`.

Institution side: "本机构备案" — the open filing's form, materials, pledge and submission, with what the bureau
asked to complete shown first. Staff side: the review queue (`review_filing`), a filing's detail with its
materials, return / approve, the receipt PDF, and the on-site checks that follow a filing (seed 004 2.5).
Out-of-scope and missing records answer the same 404; uploaded files are only ever served from here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.access import can
from agencies.choices import Action

from ..choices import FilingKind, FilingState, FilingStatus, OnSiteCheckStatus
from ..forms.filing import (
    REQUIRED_LABELS,
    ApproveForm,
    FilingForm,
    MaterialForm,
    OnSiteCheckForm,
    PledgeForm,
    ReturnForm,
    StartFilingForm,
)
from ..models import Filing, FilingMaterial, OnSiteCheck
from ..receipts import filing_receipt_pdf
from ..services.filing import (
    EDITABLE_STATES,
    OPEN_STATES,
    active_pledge_template,
    filing_add_material,
    filing_approve,
    filing_create_draft,
    filing_return,
    filing_sign_pledge,
    filing_submit,
    filing_update_draft,
    missing_materials,
    onsite_check_record,
)
from ..services.records import own_institutions

PAGE_SIZE = 50


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _error_text(exc) -> str:
    return "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def visible_filings(user, action=Action.VIEW):
    return Filing.objects.restrict(user, action).select_related("institution", "review_department")


# ----------------------------------------------------------------------------------------------- institution side


def _kinds_for(institution) -> list[str]:
    if institution.filing_status == FilingStatus.FILED:
        return [FilingKind.CHANGE, FilingKind.CANCELLATION]
    return [FilingKind.INITIAL]


def _my_institution(user):
    institution = own_institutions(user).select_related("region").order_by("id").first()
    if institution is None:
        raise Http404
    return institution


def _my_filing(request, pk) -> Filing:
    """A filing of the account's own institution, else 404 (the same answer as a missing one)."""
    return get_object_or_404(visible_filings(request.user).filter(institution__in=own_institutions(request.user)),
                             pk=pk)


@login_required
def my_filing(request, form=None, material_form=None, pledge_form=None, start_form=None, status=200):
    institution = _my_institution(request.user)
    filings = visible_filings(request.user).filter(institution=institution).order_by("-id")
    current = filings.filter(state__in=OPEN_STATES).prefetch_related("materials").select_related("pledge").first()
    editable = current is not None and current.state in EDITABLE_STATES
    if current is None and form is None:
        form = FilingForm(instance=_prefill(institution, filings))
    elif current is not None and form is None:
        form = FilingForm(instance=current)
    pledge = getattr(current, "pledge", None) if current else None
    template = None
    try:
        template = active_pledge_template()
    except ValidationError:
        pass
    return render(request, "institutions/filings/mine.html", {
        "institution": institution, "current": current, "editable": editable, "form": form,
        "start_form": start_form or StartFilingForm(kinds=_kinds_for(institution)),
        "material_form": material_form or MaterialForm(), "pledge_form": pledge_form or PledgeForm(),
        "pledge": pledge, "template": template, "history": filings.exclude(pk=getattr(current, "pk", None))[:10],
        "missing": missing_materials(current) if current else [], "required": REQUIRED_LABELS,
    }, status=status)


def _prefill(institution, filings):
    last = filings.filter(state=FilingState.APPROVED).first()
    if last is not None:
        return Filing(**{f: getattr(last, f) for f in FilingForm.Meta.fields})
    return Filing(name=institution.name, address=institution.address, beds=institution.beds,
                  building_area=institution.building_area, legal_representative=institution.legal_representative,
                  person_in_charge=institution.person_in_charge, contact_person=institution.contact_person,
                  contact_phone=institution.contact_phone)


@login_required
@require_POST
def my_filing_start(request):
    institution = _my_institution(request.user)
    start_form = StartFilingForm(request.POST, kinds=_kinds_for(institution))
    form = FilingForm(request.POST)
    if start_form.is_valid() and form.is_valid():
        data = {name: form.cleaned_data[name] for name in FilingForm.Meta.fields}
        try:
            filing_create_draft(request.user, institution, start_form.cleaned_data["kind"], **data)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, ValidationError):
                _apply_errors(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, _("备案信息已保存。请上传材料并签署信用承诺书后提交。"))
            return redirect("filing-mine")
    return my_filing(request, form=form, start_form=start_form, status=400)


@login_required
@require_POST
def my_filing_update(request, pk):
    filing = _my_filing(request, pk)
    form = FilingForm(request.POST, instance=Filing.objects.get(pk=filing.pk))
    if form.is_valid():
        try:
            filing_update_draft(request.user, filing, **{n: form.cleaned_data[n] for n in FilingForm.Meta.fields})
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("备案信息已保存。"))
            return redirect("filing-mine")
    return my_filing(request, form=form, status=400)


@login_required
@require_POST
def my_filing_material(request, pk):
    filing = _my_filing(request, pk)
    material_form = MaterialForm(request.POST, request.FILES)
    if material_form.is_valid():
        try:
            material = filing_add_material(request.user, filing, material_form.cleaned_data["kind"],
                                           material_form.cleaned_data["file"])
        except ValidationError as exc:
            _apply_errors(material_form, exc)
        else:
            messages.success(request, _("已上传：%(kind)s（%(name)s）") % {
                "kind": material.get_kind_display(), "name": material.original_name})
            return redirect("filing-mine")
    return my_filing(request, material_form=material_form, status=400)


@login_required
@require_POST
def my_filing_pledge(request, pk):
    filing = _my_filing(request, pk)
    pledge_form = PledgeForm(request.POST)
    if pledge_form.is_valid():
        try:
            filing_sign_pledge(request.user, filing, pledge_form.cleaned_data["signer_name"],
                               pledge_form.cleaned_data["signer_title"])
        except ValidationError as exc:
            _apply_errors(pledge_form, exc)
        else:
            messages.success(request, _("信用承诺书已签署。"))
            return redirect("filing-mine")
    return my_filing(request, pledge_form=pledge_form, status=400)


@login_required
@require_POST
def my_filing_submit(request, pk):
    filing = _my_filing(request, pk)
    try:
        filing_submit(request.user, filing)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已提交，请等待%(dept)s审核。") % {
            "dept": Filing.objects.get(pk=filing.pk).review_department.name})
    return redirect("filing-mine")


# ----------------------------------------------------------------------------------------------- staff side


@login_required
def review_queue(request):
    # Pending first (oldest submission first: first come, first served), then everything else, newest first.
    queryset = visible_filings(request.user, Action.REVIEW_FILING).annotate(
        pending=Case(When(state=FilingState.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).select_related("institution__region").order_by("pending", "submitted_at", "-id")
    state = request.GET.get("state")
    if state in FilingState.values:
        queryset = queryset.filter(state=state)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "institutions/filings/queue.html", {
        "page": page, "states": FilingState.choices, "state": state, "submitted": FilingState.SUBMITTED})


@login_required
def filing_detail(request, pk):
    filing = get_object_or_404(visible_filings(request.user).select_related("reviewed_by", "pledge"), pk=pk)
    may_review = filing.state == FilingState.SUBMITTED and can(request.user, Action.REVIEW_FILING, filing)
    return render(request, "institutions/filings/detail.html", {
        "filing": filing, "materials": filing.materials.all(), "pledge": getattr(filing, "pledge", None),
        "may_review": may_review, "return_form": ReturnForm(), "approve_form": ApproveForm(),
        "checks": OnSiteCheck.objects.restrict(request.user).filter(filing=filing),
        "missing": missing_materials(filing)})


def _reviewable(request, pk) -> Filing:
    return get_object_or_404(visible_filings(request.user, Action.REVIEW_FILING), pk=pk)


@login_required
@require_POST
def filing_return_view(request, pk):
    filing = _reviewable(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("filing-detail", pk)
    try:
        filing_return(request.user, filing, form.cleaned_data["items"], form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("已退回补正，机构将看到需补正的事项。"))
    return redirect("filing-detail", pk)


@login_required
@require_POST
def filing_approve_view(request, pk):
    filing = _reviewable(request, pk)
    form = ApproveForm(request.POST)
    form.is_valid()  # two optional booleans: always valid
    try:
        filing = filing_approve(request.user, filing, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("备案已通过，回执编号 %(number)s。") % {"number": filing.number})
    return redirect("filing-detail", pk)


@login_required
def filing_receipt(request, pk):
    filing = get_object_or_404(visible_filings(request.user).select_related("pledge"), pk=pk,
                               state=FilingState.APPROVED)
    response = HttpResponse(filing_receipt_pdf(filing), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="filing-receipt-{filing.pk}.pdf"'
    return response


@login_required
def material_download(request, pk):
    """A material, only if its filing is visible to the user; served as an attachment, never inline."""
    material = get_object_or_404(FilingMaterial.objects.filter(filing__in=Filing.objects.restrict(request.user)),
                                 pk=pk)
    response = FileResponse(material.file.open("rb"), as_attachment=True, filename=material.original_name,
                            content_type=material.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ----------------------------------------------------------------------------------------------- on-site checks


@login_required
def onsite_check_list(request):
    today = timezone.localdate()
    queryset = (OnSiteCheck.objects.restrict(request.user, Action.INSPECT)
                .select_related("institution", "department", "filing")
                .order_by(Case(When(status=OnSiteCheckStatus.PENDING, then=Value(0)), default=Value(1),
                               output_field=IntegerField()), "due_date", "id"))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "institutions/filings/onsite_list.html", {
        "page": page, "today": today, "pending": OnSiteCheckStatus.PENDING})


@login_required
def onsite_check_record_view(request, pk):
    check = get_object_or_404(OnSiteCheck.objects.restrict(request.user, Action.INSPECT)
                              .select_related("institution", "filing", "department"), pk=pk)
    form = OnSiteCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            onsite_check_record(request.user, check, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("现场核查结果已记录。"))
            return redirect("filing-onsite-list")
    return render(request, "institutions/filings/onsite_record.html", {
        "check": check, "form": form, "today": timezone.localdate(),
        "done": check.status != OnSiteCheckStatus.PENDING}, status=400 if form.errors else 200)


urlpatterns = [
    path("institution/filing/", my_filing, name="filing-mine"),
    path("institution/filing/start/", my_filing_start, name="filing-mine-start"),
    path("institution/filing/<int:pk>/edit/", my_filing_update, name="filing-mine-update"),
    path("institution/filing/<int:pk>/materials/", my_filing_material, name="filing-mine-material"),
    path("institution/filing/<int:pk>/pledge/", my_filing_pledge, name="filing-mine-pledge"),
    path("institution/filing/<int:pk>/submit/", my_filing_submit, name="filing-mine-submit"),
    path("filings/", review_queue, name="filing-queue"),
    path("filings/<int:pk>/", filing_detail, name="filing-detail"),
    path("filings/<int:pk>/return/", filing_return_view, name="filing-return"),
    path("filings/<int:pk>/approve/", filing_approve_view, name="filing-approve"),
    path("filings/<int:pk>/receipt.pdf", filing_receipt, name="filing-receipt"),
    path("filings/materials/<int:pk>/", material_download, name="filing-material"),
    path("filings/onsite-checks/", onsite_check_list, name="filing-onsite-list"),
    path("filings/onsite-checks/<int:pk>/", onsite_check_record_view, name="filing-onsite-record"),
]
