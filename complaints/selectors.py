"""Reads for complaints. Every staff read starts from `Complaint.objects.restrict(user, action)`."""

from django.db.models import Count, Q
from django.utils import timezone

from agencies.choices import Action

from .choices import OPEN_STATES, ComplaintState, RoutingRole
from .models import Complaint, ComplaintRouting


def visible_complaints(user, action: str = Action.VIEW):
    return (Complaint.objects.restrict(user, action)
            .select_related("institution", "region", "intake_department", "supervision_domain", "domain"))


def with_lead_department(queryset):
    """Annotate each complaint with its lead department's name in the same query (no query per row)."""
    from django.db.models import OuterRef, Subquery

    lead = ComplaintRouting.objects.filter(complaint=OuterRef("pk"), active=True, role=RoutingRole.LEAD)
    return queryset.annotate(lead_department_name=Subquery(lead.values("department__name")[:1]))


def intake_queue(user):
    """Complaints waiting for routing at a civil-affairs bureau whose duty covers them."""
    return visible_complaints(user, Action.HANDLE_COMPLAINT).filter(state=ComplaintState.SUBMITTED)


def my_department_complaints(user, department_id=None):
    """Routed to the user's department and not yet answered, by deadline. A caller that already holds the
    department (the portal's work queue) passes its id and saves the profile query."""
    if department_id is None:
        profile = getattr(user, "staff_profile", None)
        if profile is None:
            return Complaint.objects.none()
        department_id = profile.department_id
    routed = ComplaintRouting.objects.filter(department=department_id, active=True).values("complaint_id")
    return visible_complaints(user).filter(pk__in=routed, state__in=OPEN_STATES)


def overdue(user, today=None):
    today = today or timezone.localdate()
    return visible_complaints(user).filter(state__in=OPEN_STATES, answer_due__lt=today)


def statistics(user) -> dict:
    """Counts by category, institution, district and outcome over what the user may see (seed 000 #13: many
    complaints → closer supervision)."""
    qs = Complaint.objects.restrict(user, Action.VIEW).exclude(state=ComplaintState.MERGED)
    return {
        "total": qs.count(),
        "by_category": list(qs.values("category").annotate(n=Count("id")).order_by("-n", "category")),
        "by_institution": list(qs.filter(institution__isnull=False)
                               .values("institution_id", "institution__name")
                               .annotate(n=Count("id"), substantiated=Count("id", filter=Q(
                                   outcome__in=["substantiated", "partly"])))
                               .order_by("-n", "institution__name")[:20]),
        "by_district": list(qs.values("region__name", "region__code").annotate(n=Count("id"))
                            .order_by("region__code")),
        "by_outcome": list(qs.exclude(outcome="").values("outcome").annotate(n=Count("id")).order_by("-n")),
        "by_state": list(qs.values("state").annotate(n=Count("id")).order_by("state")),
    }


def public_view_of(complaint: Complaint) -> dict:
    """What the complainant reads: status, handling department, reply, the thread. No staff names, nothing of
    other complaints."""
    lead = complaint.routings.filter(active=True, role=RoutingRole.LEAD).select_related("department").first()
    return {
        "code": complaint.code, "state": complaint.state, "state_label": complaint.get_state_display(),
        "category": complaint.get_category_display(), "subject": complaint.subject_name,
        "submitted_at": complaint.submitted_at, "answer_due": complaint.answer_due,
        "handling_department": lead.department.name if lead else complaint.intake_department.name,
        "outcome": complaint.get_outcome_display() if complaint.outcome else "",
        "reply": complaint.reply if complaint.state in (ComplaintState.ANSWERED, ComplaintState.CLOSED,
                                                        ComplaintState.DISMISSED) else "",
        "notes": list(complaint.notes.values("kind", "text", "created_at")),
        "rating": complaint.rating,
        "merged_into": complaint.merged_into.code if complaint.merged_into_id else "",
    }
