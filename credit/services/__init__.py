"""Writes of the credit app: one function per state change, `<entity>_<action>` (DESIGN §2, rule 2).

Each is atomic, locks the row it changes, checks the transition table in credit/choices.py, writes an audit
row in the same transaction and queues the re-evaluation after commit (ids only).
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Department, Domain
from institutions.services.records import own_institutions


def today():
    return timezone.localdate()


def actor_department(actor) -> Department | None:
    profile = getattr(actor, "staff_profile", None) if actor is not None and actor.is_authenticated else None
    return profile.department if profile is not None else None


def require_department(actor) -> Department:
    department = actor_department(actor)
    if department is None:
        raise PermissionDenied(_("只有部门工作人员可以办理。"))
    return department


def require_institution_account(actor, institution) -> None:
    if actor is None or not own_institutions(actor).filter(pk=institution.pk).exists():
        raise PermissionDenied(_("只能办理本机构的事项。"))


def transition(obj, table: dict, target: str, field: str = "state") -> None:
    current = getattr(obj, field)
    if target not in table.get(current, frozenset()):
        labels = dict(obj._meta.get_field(field).choices)
        raise ValidationError({field: _("不能从“%(a)s”变为“%(b)s”。") % {
            "a": labels.get(current, current), "b": labels.get(target, target)}})
    setattr(obj, field, target)


def domain(code: str) -> Domain:
    return Domain.objects.get(code=code)


def grant_group(grant_model, obj, group, actions) -> None:
    """Direct-FK guardian grants of `actions` on `obj` to a department's group."""
    model_name = type(obj)._meta.model_name
    for action in actions:
        permission = Permission.objects.get(codename=f"{action}_{model_name}",
                                            content_type__app_label=type(obj)._meta.app_label)
        grant_model.objects.get_or_create(group=group, permission=permission, content_object=obj)


def hash_id_number(id_number: str) -> str:
    """The keyed digest under which an ID number is matched (the number itself is never stored)."""
    key = getattr(settings, "CREDIT_ID_HASH_KEY", settings.SECRET_KEY).encode()
    normalised = id_number.strip().upper().encode()
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()


def queue_evaluation(institution_id: int) -> None:
    """Re-evaluate credit and risk after commit (the worker must see the committed rows), through the outbox: a
    decision committed while the broker is down is still re-graded, by the sweep."""
    from agencies.outbox import outbox_add

    from ..tasks import evaluate_institution

    outbox_add(evaluate_institution, institution_id)
