"""The access policy: statutory duties → what each department may see and do (DESIGN §3).

One entry point, `restrict(user, action)` on every regulated queryset (`Model.objects.restrict(...)`), and
an authentication backend that answers `user.has_perm(perm, obj)` from the same `AccessContext`, so that the
two agree by construction. `explain(user, obj, action)` names the duties or hand-offs that grant access.

A department's statutory scope for an action is a set of clauses, each "region within R AND domain IN D
AND (no condition OR the institution has one of the facts F)". R is the department's region prefix, D is
the duty's domains — for a joint duty ("按职责分工落实") only those within the department kind's own
competence — and F the duty's `applies_if`. Hand-offs (referrals, routed complaints, joint teams, an
institution's own accounts) are explicit guardian grants in direct foreign-key tables.

This module sits in the lowest app: it reads regulated models only through their `access_*` attributes
and guardian's direct-FK lookup, never by importing a higher app.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext as _
from guardian.ctypes import get_content_type  # noqa: F401  (guardian must be importable here)
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from . import lookups  # noqa: F401  (registers the in_array lookup)
from .choices import Action, StaffRole

CATALOG_VERSION_KEY = "access:catalog-version"
CONTEXT_TTL = 3600


# --------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Clause:
    domain_ids: frozenset
    masks: tuple  # () = every institution; else, for each mask, the institution has at least one of its facts


@dataclass(frozen=True)
class AccessContext:
    """What one user may do, computed once per catalog version and cached."""

    user_id: int
    department_id: int | None = None
    region_prefix: str | None = None
    clauses: dict = field(default_factory=dict)  # action -> tuple[Clause, ...]: what the SQL filter ORs
    duty_grants: dict = field(default_factory=dict)  # action -> ((duty id, domains, masks), …): for explain()
    kind_code: str | None = None  # the department's kind, for record types only some kinds reach by duty

    @property
    def is_staff_member(self) -> bool:
        return self.department_id is not None


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every string that starts with `prefix` (codes are digits)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def catalog_version() -> str:
    """A token that changes whenever the catalog does. Random rather than a counter, so that a flushed or
    restarted cache can never hand back a number an older scope was cached under."""
    version = cache.get(CATALOG_VERSION_KEY)
    if version is None:
        cache.add(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CATALOG_VERSION_KEY)
    return version


def invalidate_scopes(**_kwargs) -> None:
    """Called when a duty, a competence, a department or a staff assignment changes: at once (the same
    transaction sees its own change) and again after commit, so that a scope another process computed from
    the not-yet-committed state in between is not kept."""
    cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, None))


def duty_domains_for_kind(duty_kind_ids, duty_domain_ids, kind_id, competence) -> set:
    """A department kind's share of a duty: all of it if the duty names one department, else its competence."""
    if len(duty_kind_ids) == 1:
        return set(duty_domain_ids)
    return set(duty_domain_ids) & set(competence.get(kind_id, ()))


def compute_kind_clauses(kind_id: int) -> tuple[dict, dict]:
    """For a department kind, straight from the duty catalog: (action -> clauses, action -> duty grants)."""
    from .choices import facts_mask
    from .models import DepartmentKind, Duty

    kinds = {k.id: k for k in DepartmentKind.objects.prefetch_related("competence")}
    kind = kinds.get(kind_id)
    if kind is None or kind.is_collective:
        return {}, {}
    competence = {k.id: {d.id for d in k.competence.all()} for k in kinds.values()}
    kind_mask = facts_mask(kind.jurisdiction_applies_if)
    grouped = defaultdict(set)  # (action, masks) -> domains
    duty_grants = defaultdict(list)
    duties = Duty.objects.filter(active=True, department_kinds=kind_id).prefetch_related("department_kinds", "domains")
    for duty in duties:
        # Collective units (领导小组成员单位 …) are not departments and do not make a duty joint.
        named = [k.id for k in duty.department_kinds.all() if not kinds[k.id].is_collective]
        domains = duty_domains_for_kind(named, [d.id for d in duty.domains.all()], kind_id, competence)
        if not domains:
            continue
        # The duty's own condition, and the kind's jurisdiction (医保 supervises only designated institutions).
        masks = tuple(sorted({m for m in (facts_mask(duty.applies_if), kind_mask) if m}))
        for action in duty.actions:
            # A joint duty may keep an action for some of its departments (备案审核 stays with civil affairs).
            limited_to = duty.action_limits.get(action)
            if limited_to is not None and kind.code not in limited_to:
                continue
            grouped[(action, masks)].update(domains)
            duty_grants[action].append((duty.id, frozenset(domains), masks))
    clauses = defaultdict(list)
    for (action, masks), domain_set in sorted(grouped.items(), key=lambda item: item[0]):
        clauses[action].append(Clause(frozenset(domain_set), masks))
    # A conditional clause adds nothing for domains an unconditional clause already covers.
    for action, action_clauses in clauses.items():
        unconditional = set().union(*(c.domain_ids for c in action_clauses if not c.masks))
        kept = []
        for c in action_clauses:
            if c.masks:
                rest = c.domain_ids - unconditional
                if not rest:
                    continue
                c = Clause(frozenset(rest), c.masks)
            kept.append(c)
        clauses[action] = tuple(kept)
    return dict(clauses), {action: tuple(grants) for action, grants in duty_grants.items()}


def kind_clauses(kind_id: int) -> tuple[dict, dict]:
    """`compute_kind_clauses`, cached per catalog version: every department of a kind shares it, so a province's
    2,000 departments and 20,000 staff compute it once per kind (20-odd times) after a duty edit, and pages
    that ask for a department's own scope (referral lists, routing) pay no query for it."""
    key = f"access:kind:{catalog_version()}:{kind_id}"
    found = cache.get(key)
    if found is None:
        found = compute_kind_clauses(kind_id)
        cache.set(key, found, CONTEXT_TTL)
    return found


def get_access_context(user) -> AccessContext:
    """The user's department, region prefix and clauses; cached per catalog version."""
    cached = getattr(user, "_access_context", None)
    version = catalog_version()
    if cached is not None and cached[0] == version:
        return cached[1]
    key = f"access:ctx:{version}:{user.pk}"
    ctx = cache.get(key)
    if ctx is None:
        from .models import StaffProfile

        profile = (StaffProfile.objects.select_related("department__region", "department__kind")
                   .filter(user_id=user.pk).first())
        if profile is None:
            ctx = AccessContext(user_id=user.pk)
        else:
            department = profile.department
            clauses, duty_grants = kind_clauses(department.kind_id)
            if profile.role == StaffRole.LEADER:
                # Leaders (区政府, 联席会议) read their jurisdiction; they do not act on records.
                clauses = {a: c for a, c in clauses.items() if a == Action.VIEW}
                duty_grants = {a: g for a, g in duty_grants.items() if a == Action.VIEW}
            ctx = AccessContext(user_id=user.pk, department_id=department.id,
                                region_prefix=department.region.scope_code, clauses=clauses,
                                duty_grants=duty_grants, kind_code=department.kind.code)
        cache.set(key, ctx, CONTEXT_TTL)
    user._access_context = (version, ctx)
    return ctx


def department_context(department) -> AccessContext:
    """A department's own statutory scope, as if one of its staff asked (for routing and notifications)."""
    clauses, duty_grants = kind_clauses(department.kind_id)
    return AccessContext(user_id=0, department_id=department.id, region_prefix=department.region.scope_code,
                         clauses=clauses, duty_grants=duty_grants, kind_code=department.kind.code)


def department_may(department, action: str, obj) -> bool:
    """Whether the duty catalog gives `department` `action` on `obj` — the same evaluation as `restrict()`."""
    return bool(statutory_clauses_for(obj, department_context(department), action))


def departments_covering(obj, action: str = Action.VIEW) -> list:
    """Every department (city or district) whose duties give it `action` on `obj`: who is told of it."""
    from .models import Department

    region_code = getattr(obj, type(obj).access_region_field)
    found, clauses_by_kind = [], {}
    for department in Department.objects.select_related("region", "kind").order_by("id"):
        prefix = department.region.scope_code
        if not region_code.startswith(prefix):
            continue
        if department.kind_id not in clauses_by_kind:
            clauses_by_kind[department.kind_id] = kind_clauses(department.kind_id)[0]
        ctx = AccessContext(user_id=0, department_id=department.id, region_prefix=prefix,
                            clauses=clauses_by_kind[department.kind_id], kind_code=department.kind.code)
        if statutory_clauses_for(obj, ctx, action):
            found.append(department)
    return found


# --------------------------------------------------------------------------------------------- models


def is_regulated(model) -> bool:
    return hasattr(model, "access_region_field")


def reached_by_duty(model, ctx: AccessContext) -> bool:
    """Whether the department's duties reach records of `model` at all. A model may name the department kinds
    that hold its records by duty (`access_statutory_kinds`: complaints are taken in by civil affairs, "民政牵头、
    归口负责", seed 000 task 26); every other department reaches them only through an explicit hand-off."""
    kinds = getattr(model, "access_statutory_kinds", None)
    return kinds is None or ctx.kind_code in kinds


def codename(action: str, model) -> str:
    return f"{action}_{model._meta.model_name}"


def action_from_perm(perm: str, model) -> str | None:
    app_label, _, code = perm.partition(".")
    suffix = f"_{model._meta.model_name}"
    if app_label != model._meta.app_label or not code.endswith(suffix):
        return None
    action = code[: -len(suffix)]
    return action if action in Action.values else None


def _direct_grant_model(model, base_cls):
    for rel in model._meta.related_objects:
        related = rel.related_model
        if isinstance(related, type) and issubclass(related, base_cls) and not related._meta.abstract:
            try:
                fk = related._meta.get_field("content_object")
            except Exception:
                continue
            if fk.remote_field.model is model:
                return related
    return None


def grant_models(model):
    """The guardian direct-FK grant tables of a regulated model: (user table or None, group table or None)."""
    return _direct_grant_model(model, UserObjectPermissionBase), _direct_grant_model(model, GroupObjectPermissionBase)


def institution_model(model):
    if model._meta.model_name == "institution" or model.access_institution_field == "pk":
        return model
    return model._meta.get_field("institution").related_model


# --------------------------------------------------------------------------------------------- restrict


def _range_q(field_name: str, prefix: str) -> Q:
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix_upper_bound(prefix)})


def _facts_q(field_name: str, masks) -> Q:
    q = Q()
    for mask in masks:
        q &= Q(GreaterThan(F(field_name).bitand(mask), 0))
    return q


def facts_match(facts: int, masks) -> bool:
    return all(facts & mask for mask in masks)


def statutory_q(model, ctx: AccessContext, action: str) -> Q | None:
    """The department's statutory scope for `action` on `model` as a Q, or None when it has none."""
    clauses = ctx.clauses.get(action, ())
    if not ctx.is_staff_member or not clauses or not reached_by_duty(model, ctx):
        return None
    region = _range_q(model.access_region_field, ctx.region_prefix)
    domain_field = model.access_domain_field
    facts_field = model.access_facts_field
    if domain_field is None:
        # A record without a domain (the institution itself) is in scope if any clause covers it.
        if any(not c.masks for c in clauses):
            return region
        q = None
        for masks in sorted({c.masks for c in clauses}):
            q = _facts_q(facts_field, masks) if q is None else q | _facts_q(facts_field, masks)
        return region & q
    q = None
    for clause in clauses:
        part = Q(**{f"{domain_field}__in": sorted(clause.domain_ids)})
        if clause.masks:
            part &= _facts_q(facts_field, clause.masks)
        q = part if q is None else q | part
    return region & q


def grants_q(model, user, ctx: AccessContext, action: str) -> Q | None:
    """Explicit hand-offs of single records to the user or one of its groups.

    Written as `pk = ANY(ARRAY(SELECT …))` (agencies.lookups) rather than a correlated EXISTS: the grant
    list is computed once, and the statutory arm keeps its index scans (an EXISTS in the OR made PostgreSQL
    walk the whole primary key instead).
    """
    user_model, group_model = grant_models(model)
    code = codename(action, model)
    q = None
    if group_model is not None:
        granted = group_model.objects.filter(group__user=user.pk, permission__codename=code)
        q = Q(pk__in_array=granted.values("content_object_id"))
    if user_model is not None:
        granted = user_model.objects.filter(user=user.pk, permission__codename=code)
        part = Q(pk__in_array=granted.values("content_object_id"))
        q = part if q is None else q | part
    return q


def institution_account_q(model, user, ctx: AccessContext, action: str) -> Q | None:
    """An institution's own accounts read their own institution's records (never complainants)."""
    if ctx.is_staff_member or action != Action.VIEW:
        return None
    if model.access_institution_field in ("pk", None):
        return None  # the institution itself (its own grant table, in grants_q), or a record without one (a lead)
    if not getattr(model, "access_institution_may_view", False):
        return None
    inst_model = institution_model(model)
    user_model, _group_model = grant_models(inst_model)
    if user_model is None:
        return None
    own = user_model.objects.filter(user=user.pk, permission__codename=codename(Action.VIEW, inst_model))
    return Q(**{f"{model.access_institution_field}__in_array": own.values("content_object_id")})


def restrict_queryset(queryset, user, action: str = Action.VIEW):
    model = queryset.model
    if action not in Action.values:
        raise ValueError(f"Unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    ctx = get_access_context(user)
    parts = [p for p in (statutory_q(model, ctx, action), grants_q(model, user, ctx, action),
                         institution_account_q(model, user, ctx, action)) if p is not None]
    if not parts:
        return queryset.none()
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return queryset.filter(combined)


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW):
        """The one permission entry point for reading regulated records."""
        return restrict_queryset(self, user, action)


# --------------------------------------------------------------------------------------------- single objects


def _record_facts(obj) -> tuple[str, int | None, int]:
    model = type(obj)
    region = getattr(obj, model.access_region_field)
    domain = getattr(obj, model.access_domain_field) if model.access_domain_field else None
    facts = getattr(obj, model.access_facts_field)
    return region, domain, facts


def statutory_clauses_for(obj, ctx: AccessContext, action: str) -> list[Clause]:
    """The clauses that cover `obj` — evaluated in Python exactly as `statutory_q` is in SQL."""
    if not ctx.is_staff_member or not reached_by_duty(type(obj), ctx):
        return []
    region, domain, facts = _record_facts(obj)
    if not (ctx.region_prefix <= region < prefix_upper_bound(ctx.region_prefix)):
        return []
    matching = []
    for clause in ctx.clauses.get(action, ()):
        if domain is not None and domain not in clause.domain_ids:
            continue
        if not facts_match(facts, clause.masks):
            continue
        matching.append(clause)
    return matching


def _has_grant(obj, user, action) -> bool:
    user_model, group_model = grant_models(type(obj))
    code = codename(action, type(obj))
    if group_model is not None and group_model.objects.filter(
            content_object=obj.pk, group__user=user.pk, permission__codename=code).exists():
        return True
    return bool(user_model is not None and user_model.objects.filter(
        content_object=obj.pk, user=user.pk, permission__codename=code).exists())


def _institution_account_grant(obj, user, ctx, action) -> bool:
    model = type(obj)
    if institution_account_q(model, user, ctx, action) is None:
        return False
    inst_model = institution_model(model)
    user_model, _ = grant_models(inst_model)
    return user_model.objects.filter(
        content_object=getattr(obj, model.access_institution_field), user=user.pk,
        permission__codename=codename(Action.VIEW, inst_model)).exists()


def can(user, action: str, obj) -> bool:
    """Single-object form of `restrict()`; used by the backend and by services before a write."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    ctx = get_access_context(user)
    return bool(statutory_clauses_for(obj, ctx, action)) or _has_grant(obj, user, action) or \
        _institution_account_grant(obj, user, ctx, action)


@dataclass
class Reason:
    kind: str  # "duty", "grant", "institution_account", "superuser"
    text: str
    duty_id: int | None = None
    reference: str | None = None


def granting_duty_ids(ctx: AccessContext, obj, action: str) -> list[int]:
    """The ids of every duty under which the context's department may take `action` on `obj` (no query)."""
    if not statutory_clauses_for(obj, ctx, action):
        return []
    _region, domain, facts = _record_facts(obj)
    return list(dict.fromkeys(duty_id for duty_id, domains, masks in ctx.duty_grants.get(action, ())
                              if (domain is None or domain in domains) and facts_match(facts, masks)))


def explain(user, obj, action: str = Action.VIEW) -> list[Reason]:
    """Why `user` may take `action` on `obj`: the duties (task number and text) or the hand-off. Empty = no access."""
    from .models import Duty

    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [Reason("superuser", _("系统管理员"))]
    ctx = get_access_context(user)
    reasons = []
    duty_ids = granting_duty_ids(ctx, obj, action)
    if duty_ids:
        duties = {d.id: d for d in Duty.objects.filter(id__in=duty_ids)}
        reasons += [Reason("duty", duties[i].text_clean, i, duties[i].reference) for i in duty_ids if i in duties]
    if _has_grant(obj, user, action):
        reasons.append(Reason("grant", _("移交授权（移送、转办或联合检查）")))
    if _institution_account_grant(obj, user, ctx, action):
        reasons.append(Reason("institution_account", _("本机构账号")))
    return reasons


class DutyPolicyBackend:
    """Answers `user.has_perm("app.<action>_<model>", obj)` for regulated objects from the duty catalog.

    Guardian's ObjectPermissionBackend answers the explicit grants; together they say what `restrict()` says.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not is_regulated(type(obj)):
            return False
        action = action_from_perm(perm, type(obj))
        if action is None or not user_obj.is_active or not user_obj.is_authenticated:
            return False
        ctx = get_access_context(user_obj)
        return bool(statutory_clauses_for(obj, ctx, action)) or _institution_account_grant(obj, user_obj, ctx, action)

    def get_all_permissions(self, user_obj, obj=None):
        if obj is None or not is_regulated(type(obj)) or not user_obj.is_active:
            return set()
        ctx = get_access_context(user_obj)
        label = obj._meta.app_label
        perms = {f"{label}.{codename(a, type(obj))}" for a in Action.values if statutory_clauses_for(obj, ctx, a)}
        if _institution_account_grant(obj, user_obj, ctx, Action.VIEW):
            perms.add(f"{label}.{codename(Action.VIEW, type(obj))}")
        return perms
