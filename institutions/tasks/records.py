"""Notifications for institution-side records, sent after commit (by id, so a retried task reads fresh rows).

Both tasks are idempotent in effect: they only send mail, recomputed from the record as it stands.
"""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from agencies.choices import Action

from ..models import IncidentReport, Lead


def _staff_emails(departments) -> list[str]:
    User = get_user_model()
    return sorted(set(User.objects.filter(is_active=True, staff_profile__department__in=departments)
                      .exclude(email="").values_list("email", flat=True)))


@shared_task
def notify_incident(report_id: int) -> int:
    """E-mail the staff of every department whose duties let it view the report (the routing IS the catalog)."""
    from agencies.access import departments_covering

    report = IncidentReport.objects.select_related("institution", "domain").filter(pk=report_id).first()
    if report is None:
        return 0
    departments = departments_covering(report, Action.VIEW)
    subject = _("【突发事件报告】%(inst)s：%(type)s") % {"inst": report.institution.name,
                                                    "type": report.get_type_display()}
    body = _("发生时间：%(at)s\n涉及人数：%(n)s，受伤：%(i)s，死亡：%(d)s\n事件经过：%(desc)s\n已采取措施：%(m)s") % {
        "at": report.occurred_at, "n": report.people_affected, "i": report.injuries, "d": report.deaths,
        "desc": report.description, "m": report.measures}
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in _staff_emails(departments)]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


@shared_task
def notify_lead_referred(lead_id: int) -> int:
    lead = Lead.objects.select_related("referred_to", "region").filter(pk=lead_id).first()
    if lead is None or lead.referred_to is None:
        return 0
    subject = _("【线索移交】%(name)s（%(district)s）") % {"name": lead.operator_name, "district": lead.region.name}
    body = _("地址：%(addr)s\n处置结果：%(outcome)s\n说明：%(note)s") % {
        "addr": lead.address, "outcome": lead.get_outcome_display(), "note": lead.outcome_note}
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
                for email in _staff_emails([lead.referred_to])]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
