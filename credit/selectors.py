"""Read-side queries of the credit app. Staff reads go through `restrict()`; the public ones publish only what
the disclosure rules allow (masked names, no ID numbers)."""

import datetime as dt

from django.db.models import Q

from agencies.choices import Action

from .choices import EventState, ListState
from .models import CreditEvaluation, CreditEvent, IndustryBan, JointMeasure, ListEntry, RiskAssessment
from .services import today


def visible_events(user, action: str = Action.VIEW):
    return CreditEvent.objects.restrict(user, action).select_related("institution", "domain", "department")


def visible_list_entries(user, action: str = Action.VIEW):
    return ListEntry.objects.restrict(user, action).select_related("institution", "domain", "department")


def public_list_entries(on: dt.date | None = None):
    """What stands on the public lists today: published and within its term. A removed, repaired or expired
    entry is no longer `published`, so it leaves the public page the day it ends."""
    on = on or today()
    return (ListEntry.objects.filter(state=ListState.PUBLISHED, published_on__lte=on, listed_until__gte=on)
            .select_related("institution__region", "department", "domain")
            .order_by("list_kind", "-published_on", "id"))


def public_events(institution, on: dt.date | None = None):
    on = on or today()
    return (CreditEvent.objects.filter(institution=institution, state=EventState.IN_FORCE, is_public=True)
            .filter(Q(public_until__isnull=True) | Q(public_until__gte=on))
            .select_related("department", "domain").order_by("-occurred_on", "-id"))


def latest_evaluation(user, institution):
    return (CreditEvaluation.objects.restrict(user).filter(institution=institution)
            .select_related("scoring_model").order_by("-id").first())


def latest_risk(user, institution):
    return RiskAssessment.objects.restrict(user).filter(institution=institution).order_by("-id").first()


def joint_measures_for(department, list_kind: str):
    """What the viewer's department does for an institution on this list (its kind's lines of the catalog)."""
    if department is None or not list_kind:
        return JointMeasure.objects.none()
    return JointMeasure.objects.filter(department_kind_id=department.kind_id, list_kind=list_kind)


def is_banned(name: str, id_number_hash: str, on: dt.date | None = None) -> bool:
    """行业禁入: whether a person (matched on name and the keyed ID digest, `services.hash_id_number`) is barred
    from working in elderly care on `on`. Staff rosters call this before taking someone on."""
    on = on or today()
    if not id_number_hash:
        return False
    return IndustryBan.objects.filter(
        person__name=name.strip(), person__id_number_hash=id_number_hash, starts_on__lte=on,
        lifted_on__isnull=True).filter(Q(until__isnull=True) | Q(until__gte=on)).exists()


def person_record(user, id_number_hash: str):
    """A responsible person's credit record (seed 000 #39: 市场主体及其从业人员): the events and list entries that
    name them, each read through `restrict()`."""
    events = visible_events(user).filter(persons__id_number_hash=id_number_hash).distinct()
    entries = visible_list_entries(user).filter(persons__id_number_hash=id_number_hash).distinct()
    return events, entries
