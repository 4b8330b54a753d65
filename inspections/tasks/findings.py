"""The overdue scan and the mail that follows a finding's life, sent after commit (ids only, so a retried task
reads fresh rows). Notices go by e-mail, as the rest of the portal's do."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from institutions.models import InstitutionUserObjectPermission

from ..models import Finding, Rectification, Referral


def _staff_emails(departments) -> list[str]:
    departments = [d for d in departments if d is not None]
    return sorted(set(get_user_model().objects.filter(is_active=True, staff_profile__department__in=departments)
                      .exclude(email="").values_list("email", flat=True)))


def _institution_emails(institution_id: int) -> list[str]:
    accounts = InstitutionUserObjectPermission.objects.filter(
        content_object_id=institution_id, permission__codename="view_institution").values("user_id")
    return sorted(set(get_user_model().objects.filter(is_active=True, pk__in=accounts).exclude(email="")
                      .values_list("email", flat=True)))


def _send(subject, body, emails) -> int:
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


@shared_task
def scan_overdue_findings() -> dict:
    """Daily (Celery beat): remind, then escalate, overdue rectifications. Idempotent."""
    from ..services.findings import scan_overdue_findings as scan

    return scan()


@shared_task
def notify_finding_overdue(finding_id: int, stage: str) -> int:
    """The institution and the verifying department: a reminder, or the escalation that followed it."""
    from ..services.findings import verifying_department

    finding = Finding.objects.select_related("institution", "domain", "verifying_department", "found_by") \
        .filter(pk=finding_id).first()
    if finding is None:
        return 0
    if stage == "reminder":
        subject = _("【整改逾期提醒】%(inst)s：%(domain)s问题") % {"inst": finding.institution.name,
                                                          "domain": finding.domain.name}
    else:
        subject = _("【整改逾期升级】%(inst)s：%(domain)s问题") % {"inst": finding.institution.name,
                                                          "domain": finding.domain.name}
    body = _("问题：%(text)s\n整改期限：%(due)s\n当前状态：%(state)s") % {
        "text": finding.text, "due": finding.rectification_due, "state": finding.get_state_display()}
    emails = _institution_emails(finding.institution_id) + _staff_emails([verifying_department(finding)])
    return _send(subject, body, emails)


@shared_task
def notify_rectification_decided(rectification_id: int) -> int:
    rectification = Rectification.objects.select_related("finding__institution").filter(pk=rectification_id).first()
    if rectification is None:
        return 0
    finding = rectification.finding
    subject = _("【整改验收】%(inst)s：%(decision)s") % {"inst": finding.institution.name,
                                                    "decision": rectification.get_decision_display()}
    body = _("问题：%(text)s\n验收意见：%(note)s") % {"text": finding.text, "note": rectification.review_note}
    return _send(subject, body, _institution_emails(finding.institution_id))


@shared_task
def notify_referral(referral_id: int) -> int:
    referral = Referral.objects.select_related("institution", "domain", "from_department", "to_department") \
        .filter(pk=referral_id).first()
    if referral is None:
        return 0
    subject = _("【%(kind)s】%(from)s → %(to)s：%(inst)s") % {
        "kind": referral.get_kind_display(), "from": referral.from_department.name,
        "to": referral.to_department.name, "inst": referral.institution.name}
    body = _("领域：%(domain)s\n事由：%(reason)s\n请于%(due)s前反馈办理情况。") % {
        "domain": referral.domain.name, "reason": referral.reason, "due": referral.answer_due}
    return _send(subject, body, _staff_emails([referral.to_department]))
