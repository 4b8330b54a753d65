"""Writes for the institution-side records: leads on unfiled/unregistered operators, disclosure ("十一个上墙"),
star ratings, incident reports and emergency drills.

Each service runs in one transaction, locks the row it changes, checks the actor against the access policy
(`agencies.access.can`), writes an audit row in the same transaction and owes side effects (e-mail) as outbox
rows in the same transaction (agencies.outbox), passing ids only.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import can, department_may
from agencies.audit import audit_record
from agencies.calendar import add_working_days
from agencies.choices import Action, RegionLevel
from agencies.models import Department, Domain, Region

from ..choices import (
    INCIDENT_DOMAINS,
    LEAD_TRANSITIONS,
    DisclosureKind,
    IncidentType,
    InstitutionStatus,
    LeadOutcome,
    LeadState,
)
from ..models import (
    DisclosureItem,
    EmergencyDrill,
    IncidentReport,
    Institution,
    InstitutionUserObjectPermission,
    Lead,
    StarRating,
)

# Seed 001; seed 004 2.6: the on-site check of an operator found without filing is due in 20 working days.
LEAD_CHECK_WORKING_DAYS = 20
LEAD_DOMAIN = "registration_filing"
DISCLOSURE_DOMAIN = "information_disclosure"
RATING_DOMAIN = "standards_rating"
DRILL_DOMAIN = "emergency_response"
# Seed 003: disclosed information is updated at least once a year.
DISCLOSURE_STALE_MONTHS = 12
# Seed 001 row 38: 每半年至少开展1次应急演练.
DRILL_INTERVAL_MONTHS = 6
# The department a lead is left with (seed 004 2.6: 服务场所所在地的县级民政部门), and the one that organises
# ratings (seed 004 2.9): both are the civil-affairs kind.
CIVIL_AFFAIRS = "civil_affairs"
# Referral outcomes → the department kind competent for them (000任务16 市场监管: 无证无照; 000任务17 民政:
# unregistered social-service organisations; 000任务18 编办: unregistered public institutions). Whether the
# kind really answers for the lead is then asked of the duty catalog (`_referral_department`).
REFERRAL_KINDS = {
    LeadOutcome.REFERRED_MARKET: "market_regulation",
    LeadOutcome.REFERRED_CIVIL: "civil_affairs",
    LeadOutcome.REFERRED_ESTABLISHMENT: "establishment_office",
}


# ----------------------------------------------------------------------------------------------- helpers


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's end): not a statutory deadline."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def district_of(region: Region) -> Region:
    """The district a region lies in (a street's parent); district bureaus are kept per district."""
    while region.level not in (RegionLevel.DISTRICT, RegionLevel.CITY) and region.parent_id:
        region = region.parent
    return region


def district_department(kind_code: str, region: Region) -> Department:
    district = district_of(region)
    department = Department.objects.filter(kind__code=kind_code, region=district).select_related("region").first()
    if department is None:
        raise ValidationError(_("%(district)s没有%(kind)s。") % {"district": district.name, "kind": kind_code})
    return department


def own_institutions(user):
    """The institutions a user is an account of (guardian direct-FK grant `view_institution`)."""
    if user is None or not user.is_authenticated:
        return Institution.objects.none()
    granted = InstitutionUserObjectPermission.objects.filter(user=user, permission__codename="view_institution")
    return Institution.objects.filter(pk__in=granted.values("content_object_id"))


def _require_own_institution(actor, institution: Institution) -> None:
    if not own_institutions(actor).filter(pk=institution.pk).exists():
        # The same answer as a missing institution: an account must not learn about others.
        raise PermissionDenied(_("只能填报本机构的信息。"))


def _is_staff_of(actor, kind_code: str) -> bool:
    profile = getattr(actor, "staff_profile", None)
    return profile is not None and profile.department.kind.code == kind_code


def _domain(code: str) -> Domain:
    return Domain.objects.get(code=code)


# ----------------------------------------------------------------------------------------------- leads


def lead_create(actor, operator_name, address, region, registered, source, description, discovered_on,
                uscc="") -> Lead:
    """A lead on an operator running without filing or registration: due for an on-site check in 20 working
    days (seed 004 2.6), left with the district civil-affairs bureau of the place of service."""
    region = region if isinstance(region, Region) else Region.objects.get(pk=region)
    if region.level == RegionLevel.CITY:
        raise ValidationError({"region": _("请选择经营场所所在的区或街道。")})
    with transaction.atomic():
        lead = Lead(operator_name=operator_name, address=address, region=region, registered=registered,
                    source=source, description=description, discovered_on=discovered_on, uscc=uscc,
                    domain=_domain(LEAD_DOMAIN), due_date=add_working_days(discovered_on, LEAD_CHECK_WORKING_DAYS),
                    department=district_department(CIVIL_AFFAIRS, region))
        # Model.save() computes the region prefix and facts; compute them first to ask the policy.
        lead.region_code = region.scope_code
        lead.full_clean(exclude=["region_code", "institution_facts"])
        lead.save()
        if not can(actor, Action.VIEW, lead):
            raise PermissionDenied(_("本部门的职责不覆盖该线索。"))
        audit_record(actor, "lead.create", lead, after={"operator_name": operator_name, "region": region.code,
                                                        "registered": registered, "due_date": str(lead.due_date)})
    return lead


def _lead_transition(lead: Lead, target: str) -> None:
    if target not in LEAD_TRANSITIONS[LeadState(lead.state)]:
        raise ValidationError(_("线索当前状态为“%(state)s”，不能变更为“%(target)s”。") % {
            "state": lead.get_state_display(), "target": LeadState(target).label})
    lead.state = target


def lead_record_check(actor, lead, checked_on, notes) -> Lead:
    """The on-site check (现场检查) of a lead."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=getattr(lead, "pk", lead))
        if not can(actor, Action.INSPECT, lead):
            raise PermissionDenied(_("本部门无权对该线索开展现场检查。"))
        before = lead.state
        _lead_transition(lead, LeadState.CHECKED)
        lead.checked_on = checked_on
        lead.check_notes = notes
        lead.save(update_fields=["state", "checked_on", "check_notes"])
        audit_record(actor, "lead.check", lead, before={"state": before},
                     after={"state": lead.state, "checked_on": str(checked_on)}, note=notes)
    return lead


def _referral_department(lead: Lead, outcome: str) -> Department:
    """The competent department of the lead's district for a referral outcome, confirmed by the duty catalog."""
    department = district_department(REFERRAL_KINDS[outcome], lead.region)
    if not department_may(department, Action.ACCEPT_REFERRAL, lead):
        raise ValidationError({"outcome": _("依照责任清单，%(dept)s不负责此类线索，不能移交。") % {
            "dept": department.name}})
    return department


def lead_close(actor, lead, outcome, note, referred_to=None, institution=None) -> Lead:
    """Close a lead with its outcome; a referral outcome hands it to the competent department of its district."""
    if outcome not in LeadOutcome.values:
        raise ValidationError({"outcome": _("未知的处置结果。")})
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("region").get(pk=getattr(lead, "pk", lead))
        if not can(actor, Action.INSPECT, lead):
            raise PermissionDenied(_("本部门无权办结该线索。"))
        before = lead.state
        _lead_transition(lead, LeadState.CLOSED)
        if outcome in REFERRAL_KINDS:
            competent = _referral_department(lead, outcome)
            if referred_to is not None and getattr(referred_to, "pk", referred_to) != competent.pk:
                raise ValidationError({"referred_to": _("应移交%(dept)s。") % {"dept": competent.name}})
            lead.referred_to = competent
        elif referred_to is not None:
            raise ValidationError({"referred_to": _("该处置结果不涉及移交。")})
        if institution is not None:
            institution = institution if isinstance(institution, Institution) else Institution.objects.get(
                pk=institution)
            if outcome not in (LeadOutcome.FILED, LeadOutcome.REGISTERED):
                raise ValidationError({"institution": _("只有已备案或已登记的线索才能关联机构。")})
            lead.institution = institution
        lead.outcome = outcome
        lead.outcome_note = note
        # Once dealt with, the operator is no longer "running without filing".
        lead.publicly_listed = False
        lead.save(update_fields=["state", "outcome", "outcome_note", "referred_to", "institution",
                                 "publicly_listed"])
        audit_record(actor, "lead.close", lead, before={"state": before},
                     after={"state": lead.state, "outcome": outcome, "referred_to": lead.referred_to_id}, note=note)
        if lead.referred_to_id:
            notify_lead_referral(lead.pk)
    return lead


def notify_lead_referral(lead_id: int) -> None:
    """Owed in the caller's transaction (agencies.outbox): sent after commit, or by the sweep."""
    from agencies.outbox import outbox_add

    from ..tasks.records import notify_lead_referred

    outbox_add(notify_lead_referred, lead_id)


def leads_public():
    """Operators known to be running without filing (seed 003 二(一)): listed and not yet dealt with."""
    return (Lead.objects.filter(publicly_listed=True, state__in=[LeadState.OPEN, LeadState.CHECKED])
            .select_related("region").order_by("region_code", "operator_name", "id"))


# ----------------------------------------------------------------------------------------------- disclosure


def disclosure_update(actor, institution, kind, content) -> DisclosureItem:
    """The institution's own account publishes or updates one "十一个上墙" item."""
    if kind not in DisclosureKind.values:
        raise ValidationError({"kind": _("未知的公开事项。")})
    if not (content or "").strip():
        raise ValidationError({"content": _("请填写公开内容。")})
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=getattr(institution, "pk", institution))
        _require_own_institution(actor, institution)
        item = DisclosureItem.objects.select_for_update().filter(institution=institution, kind=kind).first()
        before = {"content": item.content} if item else {}
        if item is None:
            item = DisclosureItem(institution=institution, kind=kind, domain=_domain(DISCLOSURE_DOMAIN))
        item.content = content
        item.updated_by = actor
        item.save()
        audit_record(actor, "disclosure.update", item, before=before, after={"kind": kind, "content": content})
    return item


def disclosure_stale(user, today: dt.date | None = None):
    """Institutions to remind ("待督促更新"): an item missing or not updated for 12 months (seed 003).

    One query: the item count and oldest update are subqueries on the institution row.
    """
    today = today or timezone.localdate()
    cutoff = timezone.make_aware(dt.datetime.combine(months_before(today, DISCLOSURE_STALE_MONTHS), dt.time.min))
    items = DisclosureItem.objects.filter(institution=OuterRef("pk")).order_by().values("institution")
    return (Institution.objects.restrict(user, Action.VIEW)
            .filter(status=InstitutionStatus.OPERATING)
            .annotate(item_count=Coalesce(Subquery(items.annotate(n=Count("id")).values("n")), 0),
                      oldest_update=Subquery(items.annotate(m=Min("updated_at")).values("m")),
                      latest_update=Subquery(items.annotate(m=Max("updated_at")).values("m")))
            .filter(Q(item_count__lt=len(DisclosureKind.values)) | Q(oldest_update__lt=cutoff))
            .select_related("region").order_by("region_code", "name", "id"))


# ----------------------------------------------------------------------------------------------- ratings


def rating_record(actor, institution, level, rated_on, valid_until, rating_body, certificate_no) -> StarRating:
    """Record a rating (等级评定) and set the institution's current star level.

    Who may: staff of a civil-affairs department (the organiser of ratings, seed 004 2.9) whose duties let it
    `view` the rating record (the catalog grants civil affairs `view` in `standards_rating`, 001-46; it has no
    narrower action for entering a rating body's result).
    """
    if not 1 <= int(level) <= 5:
        raise ValidationError({"level": _("等级为1至5星。")})
    if valid_until <= rated_on:
        raise ValidationError({"valid_until": _("有效期须晚于评定日期。")})
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=getattr(institution, "pk", institution))
        rating = StarRating(institution=institution, domain=_domain(RATING_DOMAIN), level=level, rated_on=rated_on,
                            valid_until=valid_until, rating_body=rating_body, certificate_no=certificate_no)
        rating.copy_institution_columns()
        if not (_is_staff_of(actor, CIVIL_AFFAIRS) and can(actor, Action.VIEW, rating)) and not actor.is_superuser:
            raise PermissionDenied(_("只有负责该机构的民政部门可以登记等级评定结果。"))
        rating.save()
        before = institution.star_level
        institution.star_level = current_star_level(institution)
        Institution.objects.filter(pk=institution.pk).update(star_level=institution.star_level)
        audit_record(actor, "rating.record", rating, before={"star_level": before},
                     after={"level": int(level), "valid_until": str(valid_until),
                            "star_level": institution.star_level})
    return rating


def current_star_level(institution, today: dt.date | None = None) -> int | None:
    """The level of the latest rating still valid today (None when none is)."""
    today = today or timezone.localdate()
    current = (StarRating.objects.filter(institution=institution, rated_on__lte=today, valid_until__gte=today)
               .order_by("-rated_on", "-id").values_list("level", flat=True).first())
    return current


# ----------------------------------------------------------------------------------------------- incidents


def incident_report(actor, institution, type, occurred_at, people_affected, injuries, deaths, description,
                    measures) -> IncidentReport:
    """The institution reports an emergency (seed 000 tasks 22, 24). Its type decides its domain, and the duty
    catalog then decides who sees it; those departments' staff are e-mailed after commit."""
    if type not in IncidentType.values:
        raise ValidationError({"type": _("未知的事件类型。")})
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=getattr(institution, "pk", institution))
        _require_own_institution(actor, institution)
        report = IncidentReport(institution=institution, domain=_domain(INCIDENT_DOMAINS[IncidentType(type)]),
                                type=type, occurred_at=occurred_at, people_affected=people_affected,
                                injuries=injuries, deaths=deaths, description=description, measures=measures,
                                reported_by=actor)
        report.save()
        audit_record(actor, "incident.report", report,
                     after={"type": type, "domain": report.domain.code, "deaths": deaths, "injuries": injuries})
        _notify_incident(report.pk)
    return report


def _notify_incident(report_id: int) -> None:
    from agencies.outbox import outbox_add

    from ..tasks.records import notify_incident

    outbox_add(notify_incident, report_id)


def drill_record(actor, institution, held_on, topic, participants, summary) -> EmergencyDrill:
    """The institution logs an emergency drill (seed 001 row 38)."""
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("演练日期不能晚于今天。")})
    with transaction.atomic():
        institution = Institution.objects.select_for_update().get(pk=getattr(institution, "pk", institution))
        _require_own_institution(actor, institution)
        drill = EmergencyDrill(institution=institution, domain=_domain(DRILL_DOMAIN), held_on=held_on, topic=topic,
                               participants=participants, summary=summary, recorded_by=actor)
        drill.save()
        audit_record(actor, "drill.record", drill, after={"held_on": str(held_on), "topic": topic})
    return drill


def drills_overdue(user, today: dt.date | None = None):
    """Operating institutions whose last drill is more than six months ago, or that have none (seed 001 row 38)."""
    today = today or timezone.localdate()
    cutoff = months_before(today, DRILL_INTERVAL_MONTHS)
    last = (EmergencyDrill.objects.filter(institution=OuterRef("pk")).order_by("-held_on")
            .values("held_on")[:1])
    return (Institution.objects.restrict(user, Action.VIEW)
            .filter(status=InstitutionStatus.OPERATING)
            .annotate(last_drill=Subquery(last))
            .filter(Q(last_drill__isnull=True) | Q(last_drill__lt=cutoff))
            .select_related("region").order_by("region_code", "name", "id"))
