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

import functools
import itertools
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext as _
from guardian.ctypes import get_content_type  # noqa: F401  (guardian must be importable here)
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from . import lookups  # noqa: F401  (registers the in_array lookup)
from .choices import Action, StaffRole

CATALOG_VERSION_KEY = "access:catalog-version"
_generation_counter = itertools.count(1)  # in-process memo generations (scopes, hand-offs)
CONTEXT_TTL = 3600
# Above this many hand-offs of one record type, restrict() asks the grant table in a subquery rather than
# inlining the ids (a bureau with years of referrals must not send ten thousand literals per list).
HANDOFFS_INLINED = 1000


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


# A user object keeps what it read of the catalog version at most MEMO_SECONDS (re-reading it cost a Redis
# round trip each time restrict() or can() ran: ~1 ms of a detail page), and of its hand-offs at most
# HANDOFFS_MEMO_SECONDS (a query: long enough that no request reads them twice, which would make its query
# count depend on the machine's speed). Each request has a new user object, so a request always starts from the
# current state; a long task sees another process's write within these times, this process's at once (the
# generations).
MEMO_SECONDS = 0.5
HANDOFFS_MEMO_SECONDS = 30
_scopes_generation = 0


def invalidate_scopes(**_kwargs) -> None:
    """Called when a duty, a competence, a department or a staff assignment changes: at once (the same
    transaction sees its own change) and again after commit, so that a scope another process computed from
    the not-yet-committed state in between is not kept."""
    _forget_scopes()
    transaction.on_commit(_forget_scopes)


def per_catalog(key, compute):
    """A value derived from the catalog (departments, their kinds and regions, domains), kept in this process until
    the catalog version changes: no query instead of the ones `compute` makes. The complaint form asks for the
    intake bureau and the domains' ids on every submission.

    The version is re-read at most every MEMO_SECONDS, as a user object keeps it (another process's change shows
    within that time), and at once after this process changed the catalog."""
    global _per_catalog_version, _per_catalog_seen
    now = time.monotonic()
    generation, read_at = _per_catalog_seen
    if generation == _scopes_generation and now - read_at < MEMO_SECONDS:
        version = _per_catalog_version
    else:
        generation, version = _scopes_generation, catalog_version()
        if version != _per_catalog_version:
            _per_catalog.clear()
            _per_catalog_version = version
        _per_catalog_seen = (generation, now)
    # Keyed with the version too: a thread that computed under the old one cannot file its value under the new.
    try:
        return _per_catalog[version, key]
    except KeyError:
        value = _per_catalog[version, key] = compute()
        return value


_per_catalog: dict = {}
_per_catalog_version: str | None = None
_per_catalog_seen: tuple = (None, 0.0)  # (the generation, when) the version was last read


def _forget_scopes() -> None:
    global _scopes_generation
    _scopes_generation = next(_generation_counter)
    cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)


def forget_memos() -> None:
    """Drop every in-process memo of scopes and hand-offs (tests roll back writes, which sends no signal)."""
    global _scopes_generation
    _scopes_generation = next(_generation_counter)
    grants_changed()


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
    now = time.monotonic()
    if cached is not None and cached[2] == _scopes_generation and now - cached[3] < MEMO_SECONDS:
        return cached[1]
    generation, version = _scopes_generation, catalog_version()
    if cached is not None and cached[0] == version:
        user._access_context = (version, cached[1], generation, now)
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
    user._access_context = (version, ctx, generation, now)
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


_grants_generation = 0


def grants_changed(**_kwargs) -> None:
    """A grant or a group membership was written: every memo of hand-offs in this process is stale.

    Connected to the grant tables' save/delete and to group membership (agencies.signals); services that
    bulk-create grants call it themselves, since bulk_create sends no signal.
    """
    global _grants_generation
    _grants_generation = next(_generation_counter)


def grant_tables() -> list:
    """Every (regulated model, grant table, is a group table) in the project, in a stable order."""
    from django.apps import apps

    tables = []
    for model in apps.get_models():
        if is_regulated(model):
            user_model, group_model = grant_models(model)
            tables += [(model, t, t is group_model) for t in (user_model, group_model) if t is not None]
    return sorted(tables, key=lambda t: t[1]._meta.label_lower)


_PLACEHOLDER_USER = -7_770_777  # compiled into the cached hand-off SQL in place of a user's id


@functools.cache
def _handoffs_sql(vendor: str) -> tuple[str, list]:
    """The hand-off query, compiled once per process: (permission id, record id) from every grant table, for
    the user's own grants and its groups'. Compiling a nine-branch UNION in the ORM costs more than running it."""
    from django.contrib.auth import get_user_model

    memberships = get_user_model().groups.through.objects.filter(user_id=_PLACEHOLDER_USER).values("group_id")
    parts = [(table.objects.filter(group_id__in=memberships) if is_group
              else table.objects.filter(user_id=_PLACEHOLDER_USER)).values_list("permission_id", "content_object_id")
             for _model, table, is_group in grant_tables()]
    sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    return sql, list(params)


@functools.cache
def _permission_keys() -> dict:
    """Permission id → (model label, codename); permissions are written by migrations, so a process reads them once."""
    from django.contrib.auth.models import Permission

    return {p.pk: (f"{p.content_type.app_label}.{p.content_type.model}", p.codename)
            for p in Permission.objects.select_related("content_type")}


def handoffs(user) -> dict:
    """Every record handed off to `user` or to one of its groups: {(model label, codename): frozenset of ids}.

    One UNION query over all grant tables, memoised on the user object (`HANDOFFS_MEMO_SECONDS`): a request pays it once
    however many record types it restricts, and `can()` / `explain()` answer from it without a query. Inlining the ids
    (rather than a subquery per arm) also lets PostgreSQL plan the statutory arm alone when there are none.
    """
    memo = getattr(user, "_handoffs", None)
    now = time.monotonic()
    if memo is not None and memo[0] == _grants_generation and now - memo[2] < HANDOFFS_MEMO_SECONDS:
        return memo[1]
    generation = _grants_generation
    sql, params = _handoffs_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk if p == _PLACEHOLDER_USER else p for p in params])
        rows = cursor.fetchall()
    keys = _permission_keys() if rows else {}
    if any(permission_id not in keys for permission_id, _pk in rows):
        _permission_keys.cache_clear()  # a permission created since (a test's, a new model's): read them again
        keys = _permission_keys()
    found = defaultdict(set)
    for permission_id, pk in rows:
        found[keys[permission_id]].add(pk)
    memo = {key: frozenset(ids) for key, ids in found.items()}
    user._handoffs = (generation, memo, now)
    return memo


def handed_off_ids(user, model, action: str) -> frozenset:
    return handoffs(user).get((model._meta.label_lower, codename(action, model)), frozenset())


def grants_q(model, user, ctx: AccessContext, action: str) -> Q | None:
    """Explicit hand-offs of single records to the user or one of its groups, or None when there are none.

    The ids come from `handoffs` (one query per request). A long list is left to the database as
    `pk = ANY(ARRAY(SELECT …))` (agencies.lookups) rather than a correlated EXISTS: an EXISTS in the OR made
    PostgreSQL walk the whole primary key instead of the statutory arm's index scans.
    """
    ids = handed_off_ids(user, model, action)
    if not ids:
        return None
    if len(ids) <= HANDOFFS_INLINED:
        return Q(pk__in=sorted(ids))
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


def _institution_account_reads(model, ctx: AccessContext, action: str) -> bool:
    """Whether an institution account's own-institution rule applies to `model` at all."""
    if ctx.is_staff_member or action != Action.VIEW:
        return False
    if model.access_institution_field in ("pk", None):
        return False  # the institution itself (its own grant table, in grants_q), or a record without one (a lead)
    return getattr(model, "access_institution_may_view", False)


def institution_account_q(model, user, ctx: AccessContext, action: str) -> Q | None:
    """An institution's own accounts read their own institution's records (never complainants)."""
    if not _institution_account_reads(model, ctx, action):
        return None
    own = handed_off_ids(user, institution_model(model), Action.VIEW)
    if not own:
        return None
    return Q(**{f"{model.access_institution_field}__in": sorted(own)})


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
    return obj.pk in handed_off_ids(user, type(obj), action)


def _institution_account_grant(obj, user, ctx, action) -> bool:
    model = type(obj)
    if not _institution_account_reads(model, ctx, action):
        return False
    return getattr(obj, model.access_institution_field) in handed_off_ids(user, institution_model(model), Action.VIEW)


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


@functools.lru_cache(maxsize=4)
def duty_texts(version: str) -> dict:
    """Duty id → (text, id, reference) of the whole catalog, read once per process and catalog version (a few
    hundred short rows): `explain()` on every detail page needs no query."""
    from .models import Duty

    return {d.pk: (d.text_clean, d.pk, d.reference)
            for d in Duty.objects.only("id", "text_clean", "task_no", "source_seed")}


def explain(user, obj, action: str = Action.VIEW) -> list[Reason]:
    """Why `user` may take `action` on `obj`: the duties (task number and text) or the hand-off. Empty = no access."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [Reason("superuser", _("系统管理员"))]
    ctx = get_access_context(user)
    reasons = []
    duty_ids = granting_duty_ids(ctx, obj, action)
    if duty_ids:
        duties = duty_texts(user._access_context[0])  # the version get_access_context read for this user
        reasons += [Reason("duty", *duties[i]) for i in duty_ids if i in duties]
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
