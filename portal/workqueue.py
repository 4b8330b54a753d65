"""My work (我的待办): one queue per signed-in user across the apps, sorted by working-day deadline.

Each *source* is one kind of work. It reads through the owning app's own selector — the one its queue page uses
(`Filing.objects.restrict(user, "review_filing")`, `findings_to_verify`, `intake_queue` …) — so the queue never
holds a record the user could not open, and costs one query per source whatever the number of rows. The queue of
a request is built once and kept on the request: the staff home, the queue page and the navigation badge share it.

Notifications (portal.notifications) reuse the sources to find who has to act on a new record: a user is told
of a record only when that record is in one of their sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.calendar import working_calendar
from agencies.choices import Action

# A source shows at most this many of its most urgent items (one query with a LIMIT); counts say "N+" beyond.
SOURCE_CAP = 100
# How soon a deadline counts as approaching (working days), as the reminders use it.
DUE_SOON_WORKING_DAYS = getattr(settings, "NOTIFY_REMINDER_WORKING_DAYS", 2)
# No statute fixes how fast a complete filing is reviewed; the portal's service target, in working days.
FILING_REVIEW_WORKING_DAYS = getattr(settings, "FILING_REVIEW_WORKING_DAYS", 5)


@dataclass(frozen=True)
class WorkItem:
    source: str
    pk: int
    title: str
    subject: str  # the institution or operator concerned
    status: str
    due: dt.date | None
    days_left: int | None  # working days from today to the deadline; negative when overdue
    url: str

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        return self.days_left is not None and 0 <= self.days_left <= DUE_SOON_WORKING_DAYS

    @property
    def days_late(self) -> int:
        return -self.days_left if self.overdue else 0


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    side: str  # "staff" or "institution"
    list_url: str  # the app's own queue page (url name)
    rows: Callable  # (user, department) -> queryset of the records that need doing, restricted
    order: tuple
    item: Callable  # (record) -> (title, subject, status, due date or None, url)


# --------------------------------------------------------------------------------------------- the sources


def _filings(user, department):
    from institutions.choices import FilingState
    from institutions.models import Filing

    # As the review queue (filing-queue): restrict(user, review_filing), the submitted ones.
    return (Filing.objects.restrict(user, Action.REVIEW_FILING).filter(state=FilingState.SUBMITTED)
            .select_related("institution"))


def _filing_item(filing):
    submitted = timezone.localdate(filing.submitted_at) if filing.submitted_at else None
    due = working_calendar().add_working_days(submitted, FILING_REVIEW_WORKING_DAYS) if submitted else None
    return (_("备案审核：%(name)s") % {"name": filing.name}, filing.institution.name, filing.get_kind_display(),
            due, reverse("filing-detail", args=[filing.pk]))


def _onsite_checks(user, department):
    from institutions.choices import OnSiteCheckStatus
    from institutions.models import OnSiteCheck

    # As filing-onsite-list: restrict(user, inspect), the pending ones.
    return (OnSiteCheck.objects.restrict(user, Action.INSPECT).filter(status=OnSiteCheckStatus.PENDING)
            .select_related("institution"))


def _onsite_item(check):
    return (_("备案后现场核查"), check.institution.name, check.get_status_display(), check.due_date,
            reverse("filing-onsite-record", args=[check.pk]))


def _leads(user, department):
    from institutions.choices import LeadState
    from institutions.models import Lead

    # The unfiled operators' on-site checks (seed 004 2.6), as records-lead-list reads them.
    return Lead.objects.restrict(user, Action.INSPECT).exclude(state=LeadState.CLOSED)


def _lead_item(lead):
    return (_("未备案线索现场检查"), lead.operator_name, lead.get_state_display(), lead.due_date,
            reverse("records-lead-detail", args=[lead.pk]))


def _inspections(user, department):
    from inspections.selectors import inspections_to_carry_out

    return inspections_to_carry_out(user, department).select_related("institution")


def _inspection_item(inspection):
    from inspections.choices import InspectionState

    # Before the notice is sent the clock is the notice date; after it, the inspection day itself.
    waiting_notice = inspection.state == InspectionState.SCHEDULED and inspection.notice_due
    due = inspection.notice_due if waiting_notice else inspection.scheduled_for
    return (_("实施检查：%(kind)s") % {"kind": inspection.get_kind_display()}, inspection.institution.name,
            inspection.get_state_display(), due, reverse("inspection-detail", args=[inspection.pk]))


def _to_verify(user, department):
    from inspections.selectors import findings_to_verify

    return findings_to_verify(user, department).select_related("institution", "domain")


def _verify_item(finding):
    return (_("整改验收：%(domain)s") % {"domain": finding.domain.name}, finding.institution.name,
            finding.get_state_display(), finding.rectification_due, reverse("finding-detail", args=[finding.pk]))


def _referrals(user, department):
    from inspections.services.referrals import OPEN_REFERRAL_STATES, visible_referrals

    if department is None:
        return visible_referrals(user).none()
    # As referral-list's incoming table: the referrals to this department still open (accept, then answer).
    return visible_referrals(user).filter(to_department=department, state__in=OPEN_REFERRAL_STATES)


def _referral_item(referral):
    return (_("%(kind)s：来自%(dept)s") % {"kind": referral.get_kind_display(), "dept": referral.from_department.name},
            referral.institution.name, referral.get_state_display(), referral.answer_due,
            reverse("referral-detail", args=[referral.pk]))


def _complaints(user, department):
    from complaints.selectors import intake_queue, my_department_complaints

    # Both complaint queues of complaint-list in one query: waiting for routing at the intake bureau, and routed
    # to the user's department and not yet answered.
    if department is None:
        return intake_queue(user)
    return intake_queue(user) | my_department_complaints(user, department.pk)


def _complaint_item(complaint):
    from complaints.choices import ComplaintState

    intake = complaint.state == ComplaintState.SUBMITTED
    title = _("投诉分办：%(code)s") if intake else _("投诉办理：%(code)s")
    subject = complaint.institution.name if complaint.institution_id else complaint.operator_name
    return (title % {"code": complaint.code}, subject, complaint.get_state_display(),
            complaint.acknowledge_due if intake else complaint.answer_due,
            reverse("complaint-detail", args=[complaint.pk]))


def _list_entries(user, department):
    from credit.choices import ListState
    from credit.selectors import visible_list_entries

    if department is None:
        return visible_list_entries(user).none()
    # 谁列入、谁办理: each step of the procedure is the listing department's (credit.services.lists).
    waiting = (ListState.PROPOSED, ListState.NOTIFIED, ListState.OBJECTED, ListState.DECIDED)
    return visible_list_entries(user).filter(department=department, state__in=waiting)


def _list_entry_item(entry):
    # While the institution may object, the next step waits for the end of the objection period.
    return (_("名单程序：%(list)s") % {"list": entry.get_list_kind_display()}, entry.institution.name,
            entry.get_state_display(), entry.objection_due, reverse("credit-entry-detail", args=[entry.pk]))


def _to_rectify(user, department):
    from inspections.choices import FindingState
    from inspections.models import Finding

    # As finding-mine: the institution's own findings, the open and returned ones.
    return (Finding.objects.restrict(user, Action.VIEW)
            .filter(state__in=(FindingState.OPEN, FindingState.RETURNED)).select_related("domain"))


def _rectify_item(finding):
    return (_("提交整改：%(domain)s") % {"domain": finding.domain.name}, finding.text[:40],
            finding.get_state_display(), finding.rectification_due, reverse("finding-rectify", args=[finding.pk]))


SOURCES = [
    Source("filing", _("备案待审核"), "staff", "filing-queue", _filings, ("submitted_at", "id"), _filing_item),
    Source("onsite", _("备案现场核查"), "staff", "filing-onsite-list", _onsite_checks, ("due_date", "id"),
           _onsite_item),
    Source("lead", _("未备案线索核查"), "staff", "records-lead-list", _leads, ("due_date", "id"), _lead_item),
    Source("inspection", _("待实施检查"), "staff", "inspection-list", _inspections, ("scheduled_for", "id"),
           _inspection_item),
    Source("verify", _("整改待验收"), "staff", "finding-verify-queue", _to_verify, ("rectification_due", "id"),
           _verify_item),
    Source("referral", _("移送待办"), "staff", "referral-list", _referrals, ("answer_due", "id"), _referral_item),
    Source("complaint", _("投诉待办"), "staff", "complaint-list", _complaints, ("answer_due", "id"),
           _complaint_item),
    Source("list_entry", _("名单程序待办"), "staff", "credit-entry-list", _list_entries, ("proposed_on", "id"),
           _list_entry_item),
    Source("rectify", _("待提交整改"), "institution", "finding-mine", _to_rectify, ("rectification_due", "id"),
           _rectify_item),
]
SOURCES_BY_KEY = {source.key: source for source in SOURCES}


# --------------------------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class SourceSummary:
    source: Source
    count: int
    capped: bool  # more than SOURCE_CAP waiting: the count is a floor
    overdue: int
    due_soon: int

    @property
    def key(self):
        return self.source.key

    @property
    def label(self):
        return self.source.label

    @property
    def list_url(self):
        return reverse(self.source.list_url)


@dataclass(frozen=True)
class WorkQueue:
    items: list[WorkItem]
    summaries: list[SourceSummary]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.summaries)

    @property
    def overdue(self) -> int:
        return sum(s.overdue for s in self.summaries)

    @property
    def capped(self) -> bool:
        return any(s.capped for s in self.summaries)


def sources_for(kind: str) -> list[Source]:
    """The sources of a user of this kind (portal.context_processors.Identity.kind)."""
    side = {"staff": "staff", "admin": "staff", "institution": "institution"}.get(kind)
    return [source for source in SOURCES if source.side == side]


def source_rows(source: Source, user, department):
    return source.rows(user, department)


def to_item(source: Source, record, today: dt.date) -> WorkItem:
    title, subject, status, due, url = source.item(record)
    days_left = working_calendar().working_days_between(today, due) if due else None
    return WorkItem(source.key, record.pk, str(title), subject or "", str(status), due, days_left, url)


def build_queue(user, kind: str, department=None, today: dt.date | None = None) -> WorkQueue:
    """Every source of the user, one query each, items sorted by deadline (no deadline last)."""
    today = today or timezone.localdate()
    items, summaries = [], []
    for source in sources_for(kind):
        records = list(source.rows(user, department).order_by(*source.order)[:SOURCE_CAP + 1])
        capped = len(records) > SOURCE_CAP
        found = [to_item(source, record, today) for record in records[:SOURCE_CAP]]
        items += found
        summaries.append(SourceSummary(source, len(found), capped, sum(i.overdue for i in found),
                                       sum(i.due_soon for i in found)))
    items.sort(key=lambda i: (i.due is None, i.due or dt.date.max, i.source, i.pk))
    return WorkQueue(items, summaries)


def queue_for_request(request) -> WorkQueue:
    """The signed-in user's queue, built once per request (home, queue page and badge share it)."""
    cached = getattr(request, "_portal_work_queue", None)
    if cached is None:
        from .context_processors import identity

        who = identity(request)
        department = who.profile.department if who.profile is not None else None
        cached = build_queue(request.user, who.kind, department)
        request._portal_work_queue = cached
    return cached

