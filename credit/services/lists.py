"""The blacklist, the watch list and the red list, each step of their procedure (民发〔2019〕103号;
seed 002 二(三)3–4), and credit repair (信用修复).

Who may do what:
- blacklist: proposed, notified, decided, published and removed by the department that supervises the domain
  of its grounds (谁监管、谁列入, seed 000 #19): its duties must give it `propose_list_entry` in 信用监管 and
  `record_penalty` in the grounds' domain, for this institution;
- watch and red lists: decided by civil affairs (seed 002 二(三)3–4), in 信用监管;
- the institution's own account states its case (objection) within the window and applies for repair.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import can, grants_changed
from agencies.audit import audit_record
from agencies.calendar import add_working_days
from agencies.choices import Action

from ..choices import (
    CIVIL_AFFAIRS,
    LIST_TERM_YEARS,
    LIST_TRANSITIONS,
    OBJECTION_WORKING_DAYS,
    OPEN_LIST_STATES,
    REPAIR_TRANSITIONS,
    BlacklistGround,
    ListKind,
    ListState,
    RepairState,
    ground_article,
    grounds_for,
)
from ..models import CreditDocument, CreditRepair, IndustryBan, ListEntry, ListEntryGroupObjectPermission
from . import (
    actor_department,
    domain,
    grant_group,
    queue_evaluation,
    require_department,
    require_institution_account,
    today,
    transition,
)
from .events import _add_persons

CREDIT_DOMAIN = "credit"


def _probe(institution, domain_obj) -> ListEntry:
    probe = ListEntry(institution=institution, domain=domain_obj)
    probe.copy_institution_columns()
    return probe


def may_propose(actor, institution, list_kind: str, domain_obj) -> bool:
    """Whether the actor's department may propose `institution` for `list_kind` on grounds in `domain_obj`."""
    department = actor_department(actor)
    if department is None and not getattr(actor, "is_superuser", False):
        return False
    credit = domain(CREDIT_DOMAIN)
    if not can(actor, Action.PROPOSE_LIST_ENTRY, _probe(institution, credit)):
        return False
    if list_kind == ListKind.BLACK:
        # 谁监管、谁列入: it must supervise (and punish in) the domain of the grounds.
        return can(actor, Action.RECORD_PENALTY, _probe(institution, domain_obj))
    return actor.is_superuser or department.kind.code == CIVIL_AFFAIRS


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _lock(entry) -> ListEntry:
    return ListEntry.objects.select_for_update().select_related("institution", "department").get(pk=entry.pk)


def _require_listing_department(actor, entry: ListEntry) -> None:
    if getattr(actor, "is_superuser", False):
        return
    department = actor_department(actor)
    if department is None or department.pk != entry.department_id:
        raise PermissionDenied(_("只有列入部门可以办理此步骤。"))


def _step(actor, entry, target, verb, *, note="", on=None, **changes) -> ListEntry:
    with transaction.atomic():
        entry = _lock(entry)
        _require_listing_department(actor, entry)
        before = entry.state
        transition(entry, LIST_TRANSITIONS[entry.list_kind], target)
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.save()
        audit_record(actor, verb, entry, {"state": before}, {"state": target, **{
            k: str(v) for k, v in changes.items()}}, note=note)
        queue_evaluation(entry.institution_id)
    return entry


def list_entry_propose(actor, *, institution, list_kind, ground, facts, domain_obj=None, legal_basis="",
                       source_finding=None, persons=(), on: dt.date | None = None) -> ListEntry:
    on = on or today()
    if list_kind not in ListKind.values:
        raise ValidationError({"list_kind": _("未知的名单。")})
    if ground not in grounds_for(list_kind).values:
        raise ValidationError({"ground": _("该名单没有这一列入事由。")})
    if not facts or not facts.strip():
        raise ValidationError({"facts": _("请写明事实。")})
    if list_kind != ListKind.BLACK:
        domain_obj = domain(CREDIT_DOMAIN)  # the watch and red lists' grounds span domains
    elif domain_obj is None:
        raise ValidationError({"domain": _("请选择列入事由所属的监管领域。")})
    if not may_propose(actor, institution, list_kind, domain_obj):
        raise PermissionDenied(_("按“谁监管、谁列入”，本部门不能在该领域提请列入此机构。"))
    department = actor_department(actor)
    if department is None:
        raise PermissionDenied(_("只有部门工作人员可以提请列入。"))
    with transaction.atomic():
        if ListEntry.objects.select_for_update().filter(
                institution=institution, list_kind=list_kind, state__in=OPEN_LIST_STATES).exists():
            raise ValidationError({"list_kind": _("该机构已在此名单或列入程序中。")})
        entry = ListEntry.objects.create(
            institution=institution, domain=domain_obj, list_kind=list_kind, ground=ground, facts=facts.strip(),
            legal_basis=legal_basis.strip() or ground_article(list_kind, ground), department=department,
            source_finding=source_finding, proposed_on=on, proposed_by=actor)
        _add_persons(persons, list_entry=entry)
        grant_group(ListEntryGroupObjectPermission, entry, department.group, [Action.VIEW])
        audit_record(actor, "listentry.propose", entry, after={
            "list_kind": list_kind, "ground": ground, "domain": domain_obj.code})
    return entry


def list_entry_auto_propose(*, institution, ground, facts, department, source_finding=None,
                            on: dt.date | None = None) -> ListEntry | None:
    """The portal proposes a watch-list entry from its own data; the district civil-affairs bureau decides.

    Nothing happens when the institution is already on (or on its way onto) the watch list or the blacklist.
    """
    on = on or today()
    with transaction.atomic():
        if ListEntry.objects.select_for_update().filter(
                institution=institution, list_kind__in=[ListKind.WATCH, ListKind.BLACK],
                state__in=OPEN_LIST_STATES).exists():
            return None
        entry = ListEntry.objects.create(
            institution=institution, domain=domain(CREDIT_DOMAIN), list_kind=ListKind.WATCH, ground=ground,
            facts=facts, legal_basis=ground_article(ListKind.WATCH, ground), department=department,
            auto_proposed=True, source_finding=source_finding, proposed_on=on)
        grant_group(ListEntryGroupObjectPermission, entry, department.group, [Action.VIEW])
        audit_record(None, "listentry.auto_propose", entry, after={"ground": ground})
    return entry


def list_entry_notify(actor, entry, on: dt.date | None = None) -> ListEntry:
    """告知: the institution is told; it may state its case within OBJECTION_WORKING_DAYS working days."""
    on = on or today()
    return _step(actor, entry, ListState.NOTIFIED, "listentry.notify", notified_on=on,
                 objection_due=add_working_days(on, OBJECTION_WORKING_DAYS))


def list_entry_object(actor, entry, statement: str, on: dt.date | None = None) -> ListEntry:
    """The institution's account states its case (陈述申辩/异议), within the window only."""
    on = on or today()
    if not statement or not statement.strip():
        raise ValidationError({"objection": _("请填写异议内容。")})
    with transaction.atomic():
        entry = _lock(entry)
        require_institution_account(actor, entry.institution)
        if entry.state == ListState.NOTIFIED and entry.objection_due and on > entry.objection_due:
            raise ValidationError({"objection": _("异议期已于%(d)s届满。") % {"d": entry.objection_due}})
        transition(entry, LIST_TRANSITIONS[entry.list_kind], ListState.OBJECTED)
        entry.objection, entry.objected_on = statement.strip(), on
        entry.save()
        audit_record(actor, "listentry.object", entry, {"state": ListState.NOTIFIED}, {"state": ListState.OBJECTED})
    return entry


def list_entry_decide(actor, entry, note: str = "", on: dt.date | None = None) -> ListEntry:
    """The decision to list: only once the objection window has closed; an objection must be answered."""
    on = on or today()
    current = ListEntry.objects.get(pk=entry.pk)
    if current.objection_due and on <= current.objection_due:
        raise ValidationError({"decided_on": _("异议期至%(d)s届满，届满后方可作出决定。") % {
            "d": current.objection_due}})
    if current.state == ListState.OBJECTED and not note.strip():
        raise ValidationError({"decision_note": _("机构提出了异议，决定须说明对异议的处理意见。")})
    return _step(actor, entry, ListState.DECIDED, "listentry.decide", note=note, decided_on=on,
                 decision_note=note.strip())


def list_entry_reject(actor, entry, note: str, on: dt.date | None = None) -> ListEntry:
    """决定不予列入 (an objection upheld, or the grounds not made out)."""
    if not note or not note.strip():
        raise ValidationError({"decision_note": _("请说明不予列入的理由。")})
    return _step(actor, entry, ListState.REJECTED, "listentry.reject", note=note, decided_on=on or today(),
                 decision_note=note.strip())


def list_entry_withdraw(actor, entry, note: str = "") -> ListEntry:
    return _step(actor, entry, ListState.WITHDRAWN, "listentry.withdraw", note=note)


def list_entry_publish(actor, entry, on: dt.date | None = None) -> ListEntry:
    """公布: on the public list from today for the list's term. A person blacklisted for abusing elders is
    banned from the trade (行业禁入) for the same term."""
    on = on or today()
    current = ListEntry.objects.get(pk=entry.pk)
    until = _years_later(on, LIST_TERM_YEARS[current.list_kind])
    entry = _step(actor, entry, ListState.PUBLISHED, "listentry.publish", published_on=on, listed_until=until)
    if entry.list_kind == ListKind.BLACK and entry.ground == BlacklistGround.ELDER_ABUSE:
        with transaction.atomic():
            for person in entry.persons.all():
                IndustryBan.objects.get_or_create(person=person, defaults={
                    "list_entry": entry, "starts_on": on, "until": until})
    return entry


def _end_bans(entry, on) -> None:
    IndustryBan.objects.filter(list_entry=entry, lifted_on__isnull=True).update(lifted_on=on)


def list_entry_remove(actor, entry, reason: str, on: dt.date | None = None) -> ListEntry:
    """提前移出 (the decision overturned, the grounds gone): off the public list the same day."""
    on = on or today()
    if not reason or not reason.strip():
        raise ValidationError({"end_reason": _("请说明移出理由。")})
    entry = _step(actor, entry, ListState.REMOVED, "listentry.remove", note=reason, ended_on=on,
                  end_reason=reason.strip())
    _end_bans(entry, on)
    return entry


def list_entries_expire(on: dt.date | None = None) -> int:
    """Nightly: published entries past their term leave the list (期满移出)."""
    on = on or today()
    count = 0
    for pk in ListEntry.objects.filter(state=ListState.PUBLISHED, listed_until__lt=on).values_list("pk", flat=True):
        with transaction.atomic():
            entry = _lock(ListEntry(pk=pk))
            if entry.state != ListState.PUBLISHED:
                continue
            transition(entry, LIST_TRANSITIONS[entry.list_kind], ListState.EXPIRED)
            entry.ended_on, entry.end_reason = on, _("列入期限届满")
            entry.save()
            audit_record(None, "listentry.expire", entry, {"state": ListState.PUBLISHED}, {"state": entry.state})
            queue_evaluation(entry.institution_id)
            count += 1
    return count


# ------------------------------------------------------------------------------------------------- repair


def credit_repair_apply(actor, entry, statement: str, files=(), on: dt.date | None = None) -> CreditRepair:
    """The institution applies for credit repair with proof that it has put things right."""
    on = on or today()
    if not statement or not statement.strip():
        raise ValidationError({"statement": _("请说明整改情况。")})
    with transaction.atomic():
        entry = _lock(entry)
        require_institution_account(actor, entry.institution)
        if entry.state != ListState.PUBLISHED or entry.list_kind == ListKind.RED:
            raise ValidationError({"list_entry": _("只有已公布的失信或重点关注名单可以申请信用修复。")})
        if entry.repairs.filter(state=RepairState.SUBMITTED).exists():
            raise ValidationError({"list_entry": _("已有待审核的修复申请。")})
        repair = CreditRepair.objects.create(institution=entry.institution, domain=entry.domain, list_entry=entry,
                                             statement=statement.strip(), applied_by=actor, applied_on=on)
        for upload in files or ():
            CreditDocument.objects.create(repair=repair, file=upload, original_name=upload.name[:255],
                                          uploaded_by=actor)
        audit_record(actor, "creditrepair.apply", repair, after={"list_entry": entry.pk})
    return repair


def _review(actor, repair, target, note, on) -> CreditRepair:
    require_department(actor)
    with transaction.atomic():
        repair = CreditRepair.objects.select_for_update().select_related("list_entry").get(pk=repair.pk)
        _require_listing_department(actor, repair.list_entry)
        transition(repair, REPAIR_TRANSITIONS, target)
        repair.reviewed_by, repair.reviewed_on, repair.review_note = actor, on, note.strip()
        repair.save()
        audit_record(actor, f"creditrepair.{target}", repair, {"state": RepairState.SUBMITTED}, {"state": target},
                     note=note)
        if target == RepairState.APPROVED:
            entry = _lock(repair.list_entry)
            transition(entry, LIST_TRANSITIONS[entry.list_kind], ListState.REPAIRED)
            entry.ended_on = on
            entry.end_reason = _("信用修复：%(note)s") % {"note": note.strip()}
            entry.save()
            _end_bans(entry, on)
            audit_record(actor, "listentry.repair", entry, {"state": ListState.PUBLISHED},
                         {"state": ListState.REPAIRED, "ended_on": str(on)}, note=note)
            queue_evaluation(entry.institution_id)
    return repair


def credit_repair_approve(actor, repair, note: str, on: dt.date | None = None) -> CreditRepair:
    """Approved: the entry leaves the public list that day, and says why."""
    if not note or not note.strip():
        raise ValidationError({"review_note": _("请填写审核意见。")})
    return _review(actor, repair, RepairState.APPROVED, note, on or today())


def credit_repair_reject(actor, repair, note: str, on: dt.date | None = None) -> CreditRepair:
    if not note or not note.strip():
        raise ValidationError({"review_note": _("请说明不予修复的理由。")})
    return _review(actor, repair, RepairState.REJECTED, note, on or today())


def late_filers_propose(on: dt.date | None = None) -> int:
    """Nightly: an operating institution registered but not filed (不按规定时限备案, seed 002 二(三)3) gets a
    late-filing event (once a year) and a watch-list proposal to its district civil-affairs bureau.

    A bulk path (issue 9): a province's first night finds thousands of late filers, and the per-institution
    services (system_event, list_entry_auto_propose) took ~20 ms each. The same rows in one transaction — events,
    proposals, the bureau's view grant on each proposal, one chained audit row per write — with a fixed
    number of queries. Nothing is queued for re-evaluation: the nightly run re-grades every institution next.
    """
    from django.contrib.auth.models import Permission

    from agencies.audit import audit_records_bulk
    from agencies.models import Department
    from institutions.choices import InstitutionStatus
    from institutions.models import Institution

    from ..choices import EventKind, EventState, WatchGround
    from ..models import CreditEvent

    on = on or today()
    year_ago = on - dt.timedelta(days=365)
    summary = _("已登记但未按规定时限办理养老机构备案")
    with transaction.atomic():
        recent = CreditEvent.objects.filter(kind=EventKind.LATE_FILING, state=EventState.IN_FORCE,
                                            occurred_on__gt=year_ago).values("institution_id")
        late = list(Institution.objects.select_for_update(of=("self",)).filter(
            registered_not_filed=True, status=InstitutionStatus.OPERATING).exclude(pk__in=recent)
            .select_related("region").order_by("pk"))
        if not late:
            return 0
        bureaus = {d.region_id: d for d in Department.objects.filter(kind__code="civil_affairs").select_related(
            "group")}
        districts = {inst.pk: _district_id(inst.region) for inst in late}
        late = [inst for inst in late if districts[inst.pk] in bureaus]
        listed = set(ListEntry.objects.filter(
            institution__in=late, list_kind__in=[ListKind.WATCH, ListKind.BLACK], state__in=OPEN_LIST_STATES)
            .values_list("institution_id", flat=True))
        filing_domain, credit_domain = domain("registration_filing"), domain(CREDIT_DOMAIN)
        events = CreditEvent.objects.bulk_create([CreditEvent(
            institution=inst, domain=filing_domain, kind=EventKind.LATE_FILING, state=EventState.IN_FORCE,
            department=bureaus[districts[inst.pk]], occurred_on=on, summary=summary,
            region_code=inst.region_code, institution_facts=inst.facts) for inst in late])
        basis = ground_article(ListKind.WATCH, WatchGround.LATE_FILING)
        entries = ListEntry.objects.bulk_create([ListEntry(
            institution=inst, domain=credit_domain, list_kind=ListKind.WATCH, ground=WatchGround.LATE_FILING,
            facts=summary, legal_basis=basis, department=bureaus[districts[inst.pk]], auto_proposed=True,
            proposed_on=on, region_code=inst.region_code, institution_facts=inst.facts)
            for inst in late if inst.pk not in listed])
        view = Permission.objects.get(codename="view_listentry", content_type__app_label="credit")
        ListEntryGroupObjectPermission.objects.bulk_create([ListEntryGroupObjectPermission(
            group=entry.department.group, permission=view, content_object=entry) for entry in entries])
        grants_changed()  # bulk_create sends no signal
        audit_records_bulk(None, [
            *({"verb": "creditevent.derive", "object_type": "credit.creditevent", "object_id": e.pk,
               "after": {"kind": e.kind, "state": e.state}} for e in events),
            *({"verb": "listentry.auto_propose", "object_type": "credit.listentry", "object_id": e.pk,
               "after": {"ground": e.ground}} for e in entries)])
    return len(entries)


def _district_id(region) -> int:
    """The id of the district (or city) a region lies in, as institutions.services.records.district_of."""
    from agencies.choices import RegionLevel

    while region.level not in (RegionLevel.DISTRICT, RegionLevel.CITY) and region.parent_id:
        region = region.parent
    return region.pk
