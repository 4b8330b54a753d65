"""A synthetic province for benchmarks (issue 9): `manage.py seed_scale`.

Built with PostgreSQL COPY (psycopg2 `copy_expert`), never row by row, so that the default size — 50,000
institutions over 100 districts, ~2,000 departments, 20,000 staff, 1,000,000 findings, 200,000 complaints,
100,000 credit events, 50,000 hand-off grants — loads in minutes on a 2-core machine.

The rows are what the services would write: every regulated record carries its institution's `region_code`
and `facts` (RegulatedRecord.copy_institution_columns), its domain is one the duty catalog knows, complaints
sit in the `complaints` access domain with their supervision domain beside it and the district civil-affairs
bureau as intake department, routed complaints have their ComplaintRouting row *and* the guardian direct-FK
grants routing gives (view + handle_complaint to the department's Group), departments have their Group and
staff are members of it. `restrict()` reads them exactly as it reads the demo city's.

Regions: a province (level city, scope `13`), 10 prefecture cities (`1301` …) and their districts
(`130101` …) — hierarchical prefixes, as GB/T 2260 codes are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

PROVINCE_CODE = "130000"
PROVINCE_NAME = "模拟省"
CITY_COUNT = 10
BENCH_PASSWORD = "scale-bench-2026"
STAFF_PREFIX = "scale_"
CORPS_KINDS = ("civil_affairs", "fire_rescue", "market_regulation", "health", "housing_construction")


@dataclass
class ScaleSizes:
    institutions: int = 50_000
    districts: int = 100
    departments: int = 2_000  # one per kind and region until this many (~2,600 at most for 100 districts)
    staff: int = 20_000
    findings: int = 1_000_000
    complaints: int = 200_000
    credit_events: int = 100_000
    grants: int = 50_000
    seed: int = 9

    @classmethod
    def tiny(cls) -> ScaleSizes:
        return cls(institutions=60, districts=4, departments=60, staff=120, findings=600, complaints=120,
                   credit_events=60, grants=40)


@dataclass
class Province:
    """What later steps need to know of what earlier steps wrote (ids in memory, not re-queried per row)."""

    province: object = None
    cities: list = field(default_factory=list)
    districts: list = field(default_factory=list)
    departments: dict = field(default_factory=dict)  # (region id, kind code) -> Department
    inst_ids: list = field(default_factory=list)
    inst_district: list = field(default_factory=list)  # index into districts
    inst_facts: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- COPY


def _encode(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _field_default(f, now):
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    if f.blank and f.get_internal_type() in ("CharField", "TextField", "SlugField"):
        return ""
    raise ValueError(f"{f.model.__name__}.{f.name} has no value and no default")


def copy_rows(model, columns: list[str], rows, *, chunk: int = 50_000) -> int:
    """COPY `rows` (tuples in `columns` order, attnames) into `model`'s table; every other column gets its
    field default (or NULL), so a field another app adds later does not break the seed."""
    now = timezone.now()
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set(columns)
    rest = [f for f in concrete if f.attname not in given]
    by_attname = {f.attname: f for f in concrete}
    all_columns = [by_attname[c] for c in columns]
    names = [f.column for f in all_columns] + [f.column for f in rest]
    suffix = "".join("\t" + _encode(_field_default(f, now)) for f in rest)
    sql = f'COPY "{model._meta.db_table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) FROM STDIN'
    total = 0
    buffer = []
    raw = connection.cursor().cursor  # the psycopg2 cursor under Django's wrapper

    def flush():
        if buffer:
            raw.copy_expert(sql, io.StringIO("".join(buffer)))
            buffer.clear()

    for row in rows:
        buffer.append("\t".join(map(_encode, row)) + suffix + "\n")
        total += 1
        if len(buffer) >= chunk:
            flush()
    flush()
    return total


# ---------------------------------------------------------------------------------------- the seed


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "seed_scale needs PostgreSQL (it loads with COPY, and a province does not fit SQLite): "
            "set DATABASE_URL=postgres://… and run `manage.py migrate` first.")


def seed_province(sizes: ScaleSizes, log=print) -> dict:
    """Build the province; returns the row counts. Refuses a database that already holds it."""
    from agencies.models import Region

    require_postgresql()
    if Region.objects.filter(code=PROVINCE_CODE).exists():
        raise RuntimeError(f"region {PROVINCE_CODE} ({PROVINCE_NAME}) already exists: seed_scale wants a fresh "
                           "database (drop and migrate it, or use another DATABASE_URL).")
    rng = random.Random(sizes.seed)
    p = Province()
    steps = [("regions", _regions), ("departments", _departments), ("staff", _staff),
             ("institutions", _institutions), ("findings", _findings), ("complaints", _complaints),
             ("credit events", _credit_events), ("finding hand-offs", _finding_grants)]
    for label, step in steps:
        started = timezone.now()
        with transaction.atomic():
            step(sizes, p, rng)
        log(f"  {label}: {(timezone.now() - started).total_seconds():.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from agencies.access import invalidate_scopes

    invalidate_scopes()  # bulk writes send no post_save: every cached scope is recomputed on next use
    return p.counts


def _regions(sizes, p, rng):
    from agencies.choices import RegionLevel
    from agencies.models import Region

    p.province = Region.objects.create(code=PROVINCE_CODE, name=PROVINCE_NAME, level=RegionLevel.CITY)
    per_city = -(-sizes.districts // CITY_COUNT)
    city_count = min(CITY_COUNT, sizes.districts)
    for c in range(1, city_count + 1):
        city = Region.objects.create(code=f"13{c:02d}00", name=f"模拟{c:02d}市", level=RegionLevel.CITY,
                                     parent=p.province)
        p.cities.append(city)
    for n in range(sizes.districts):
        city = p.cities[n // per_city % city_count]
        d = n % per_city + 1
        p.districts.append(Region.objects.create(code=f"{city.code[:4]}{d:02d}", name=f"{city.name}{d:02d}区",
                                                 level=RegionLevel.DISTRICT, parent=city))
    p.counts["regions"] = 1 + len(p.cities) + len(p.districts)


def _department_name(kind, region, level) -> str:
    if level == "district":
        city = region.parent.name
        return kind.district_name_pattern.replace("天津市", city).format(district=region.name)
    return kind.city_name_pattern.replace("天津市", region.name).replace("天津", region.name)


def _departments(sizes, p, rng):
    """Every kind at province and city level, then district bureaus — civil affairs and the district government
    first in every district — until the requested number is reached."""
    from agencies.models import Department, DepartmentKind

    kinds = list(DepartmentKind.objects.filter(is_collective=False).order_by("id"))
    upper_kinds = [k for k in kinds if k.city_name_pattern]
    district_kinds = sorted((k for k in kinds if k.district_name_pattern),
                            key=lambda k: (k.code not in ("civil_affairs", "district_government"), k.id))
    first, others = district_kinds[:2], district_kinds[2:]
    # Every district has its civil-affairs bureau (complaint intake) and government; then the province's and the
    # cities' departments; then the other district bureaus kind by kind, so a cap leaves whole kinds out.
    wanted = [(k, d, "district") for k in first for d in p.districts]
    for region in [p.province, *p.cities]:
        wanted += [(k, region, "city") for k in upper_kinds]
    for k in others:
        wanted += [(k, d, "district") for d in p.districts]
    wanted = wanted[: max(sizes.departments, len(first) * len(p.districts) + 1)]
    groups = Group.objects.bulk_create([Group(name=f"dept:{_department_name(k, r, lvl)}") for k, r, lvl in wanted])
    departments = Department.objects.bulk_create([
        Department(kind=k, region=r, level=lvl, name=g.name[5:], group=g)
        for (k, r, lvl), g in zip(wanted, groups, strict=True)])
    for dept in departments:
        p.departments[(dept.region_id, dept.kind.code)] = dept
    p.counts["departments"] = len(departments)


def _staff(sizes, p, rng):
    """Staff spread evenly over the departments — every tenth of a department an inspector on its roster, the
    first of each district government and city civil-affairs bureau a leader — after a provincial corps."""
    from agencies.choices import StaffRole
    from agencies.models import StaffProfile
    from inspections.models import Inspector

    User = StaffProfile._meta.get_field("user").related_model
    departments = sorted(p.departments.values(), key=lambda d: d.pk)
    password = make_password(BENCH_PASSWORD)
    now = timezone.now()
    # A provincial inspection corps (a twentieth of the staff) on the rosters of the province's civil-affairs,
    # fire, market, health and housing departments: the inspectors a province-wide draw picks from.
    corps = [d for d in departments if d.region_id == p.province.pk and d.kind.code in CORPS_KINDS]
    corps_size = sizes.staff // 20 if corps else 0
    plan = []  # (username, department, role)
    for n in range(sizes.staff):
        if n < corps_size:
            dept, role = corps[n % len(corps)], StaffRole.INSPECTOR
        else:
            m = n - corps_size
            dept, rank = departments[m % len(departments)], m // len(departments)
            if rank == 0 and (dept.kind.code == "district_government"
                              or (dept.kind.code == "civil_affairs" and dept.level == "city")):
                role = StaffRole.LEADER  # district governments and the city-level 联席会议 leaders read only
            elif rank % 10 == 9:
                role = StaffRole.INSPECTOR
            else:
                role = StaffRole.STAFF
        plan.append((f"{STAFF_PREFIX}{n:06d}", dept, role))
    copy_rows(User, ["username", "password", "first_name", "is_superuser", "is_staff", "is_active", "date_joined"],
              ((u, password, f"模拟人员{u[-6:]}", False, False, True, now) for u, _d, _r in plan))
    ids = dict(User.objects.filter(username__startswith=STAFF_PREFIX).values_list("username", "id"))
    copy_rows(StaffProfile, ["user_id", "department_id", "role"],
              ((ids[u], d.pk, r) for u, d, r in plan))
    copy_rows(User.groups.through, ["user_id", "group_id"], ((ids[u], d.group_id) for u, d, _r in plan))
    profiles = dict(StaffProfile.objects.filter(user__username__startswith=STAFF_PREFIX)
                    .values_list("user_id", "id"))
    inspectors = [(profiles[ids[u]], d.pk, f"SCALE{n:07d}") for n, (u, d, r) in enumerate(plan)
                  if r == StaffRole.INSPECTOR]
    copy_rows(Inspector, ["staff_id", "department_id", "certificate_number", "external", "active"],
              ((s, d, c, False, True) for s, d, c in inspectors))
    # Each inspector's expertise: its kind's competence (the draw matches domains to teams).
    competence = _competence()
    roster = Inspector.objects.filter(certificate_number__startswith="SCALE").values_list("id", "department__kind_id")
    copy_rows(Inspector.domains.through, ["inspector_id", "domain_id"],
              ((i, d) for i, kind_id in roster for d in sorted(competence.get(kind_id, ()))[:3]))
    p.counts["staff"] = len(plan)
    p.counts["inspectors"] = len(inspectors)


def _competence() -> dict:
    from agencies.models import DepartmentKind

    return {k.id: {d.id for d in k.competence.all()} for k in DepartmentKind.objects.prefetch_related("competence")}


def _uscc(n: int, district_code: str) -> str:
    from institutions.uscc import CHARSET, build_uscc

    body = ""
    for _ in range(8):
        n, r = divmod(n, 31)
        body = CHARSET[r] + body
    return build_uscc("52", district_code, body.replace("I", "1").replace("O", "0"))


def _institutions(sizes, p, rng):
    from agencies.choices import FACT_BITS
    from institutions.choices import FilingStatus, InstitutionStatus, LegalForm, RiskLevel
    from institutions.models import Institution

    fact_share = {slug: share for slug, share in zip(FACT_BITS, (0.3, 0.2, 0.6, 0.4, 0.3, 0.1, 0.1, 0.02, 0.05,
                                                                 0.2, 0.1, 0.02), strict=False)}
    statuses = [InstitutionStatus.OPERATING] * 18 + [InstitutionStatus.SUSPENDED, InstitutionStatus.CLOSED]
    risks = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.MEDIUM, RiskLevel.HIGH]
    fact_columns = list(FACT_BITS)
    rows = []
    for n in range(sizes.institutions):
        di = n % len(p.districts)
        district = p.districts[di]
        flags = [rng.random() < fact_share.get(slug, 0.05) for slug in fact_columns]
        facts = sum(bit for bit, on in zip(FACT_BITS.values(), flags, strict=True) if on)
        p.inst_district.append(di)
        p.inst_facts.append(facts)
        # Filed (and so in the public directory) unless the flags say it is registered but not filed.
        filed = FilingStatus.UNFILED if flags[fact_columns.index("registered_not_filed")] else FilingStatus.FILED
        rows.append((f"{district.name}第{n:05d}号养老院", _uscc(n, district.code), LegalForm.SOCIAL_SERVICE, filed,
                     district.pk, district.scope_code, f"{district.name}幸福路{n % 997}号",
                     statuses[n % len(statuses)], rng.randint(20, 400), rng.randint(0, 300),
                     Decimal(rng.randint(300, 8000)), rng.choice(risks), facts, *flags))
    copy_rows(Institution, ["name", "uscc", "legal_form", "filing_status", "region_id", "region_code", "address",
                            "status", "beds", "residents", "building_area", "risk_level", "facts", *fact_columns], rows)
    p.inst_ids = list(Institution.objects.filter(region_code__startswith="13").order_by("id")
                      .values_list("id", flat=True))
    assert len(p.inst_ids) == sizes.institutions
    p.counts["institutions"] = len(p.inst_ids)


def _domains() -> dict:
    from agencies.models import Domain

    return dict(Domain.objects.values_list("code", "id"))


def _record_domains() -> list[int]:
    """The domains findings fall in: those of the checklist (what inspectors check), else every domain."""
    from inspections.models import ChecklistItem

    ids = sorted(set(ChecklistItem.objects.values_list("domain_id", flat=True)))
    return ids or sorted(_domains().values())


def _competent_department(p, district, domain_id, kinds_by_domain):
    """The district bureau that answers for a domain there (the first competent kind present), else civil affairs."""
    for code in kinds_by_domain.get(domain_id, ()):
        dept = p.departments.get((district.pk, code))
        if dept is not None:
            return dept
    return p.departments.get((district.pk, "civil_affairs"))


def _kinds_by_domain() -> dict:
    from agencies.models import DepartmentKind

    found = {}
    for kind in DepartmentKind.objects.filter(is_collective=False).prefetch_related("competence").order_by("id"):
        for d in kind.competence.all():
            found.setdefault(d.id, []).append(kind.code)
    return found


def _spread(rng, days_back: int, now) -> dt.datetime:
    return now - dt.timedelta(seconds=rng.randint(0, days_back * 86400))


def _findings(sizes, p, rng):
    from inspections.choices import FindingState, Severity
    from inspections.models import Finding

    domains = _record_domains()
    kinds_by_domain = _kinds_by_domain()
    now = timezone.now()
    states = [FindingState.CLOSED] * 6 + [FindingState.OPEN] * 2 + [FindingState.SUBMITTED, FindingState.RETURNED]
    start = now - dt.timedelta(days=5 * 365)
    step = (now - start) / max(sizes.findings, 1)
    dept_cache = {}

    def rows():
        for n in range(sizes.findings):
            i = rng.randrange(len(p.inst_ids))
            district = p.districts[p.inst_district[i]]
            domain = domains[n % len(domains)] if n % 3 else rng.choice(domains)
            key = (district.pk, domain)
            if key not in dept_cache:
                dept_cache[key] = _competent_department(p, district, domain, kinds_by_domain).pk
            created = start + step * n
            state = states[n % len(states)]
            yield (p.inst_ids[i], domain, district.scope_code, p.inst_facts[i], f"模拟问题隐患第{n}号：台账缺失",
                   dept_cache[key], created, created.date(), Severity.MAJOR if n % 50 == 0 else Severity.GENERAL,
                   dept_cache[key], 20, created.date() + dt.timedelta(days=28), state,
                   created + dt.timedelta(days=20) if state == FindingState.CLOSED else None)

    p.counts["findings"] = copy_rows(Finding, [
        "institution_id", "domain_id", "region_code", "institution_facts", "text", "found_by_id", "created_at",
        "found_on", "severity", "verifying_department_id", "rectification_working_days", "rectification_due",
        "state", "closed_at"], rows())


def _complaints(sizes, p, rng):
    """Complaints as complaint_submit writes them; one in eight of the grant budget's worth routed (with the
    routing row and the guardian grants routing gives)."""
    from complaints.antiabuse import duplicate_key
    from complaints.choices import ACCESS_DOMAIN, CATEGORY_DOMAINS, Category, ComplaintState, Priority
    from complaints.models import Complaint, ComplaintGroupObjectPermission, ComplaintRouting
    from complaints.services import ROUTED_ACTIONS

    domains = _domains()
    kinds_by_domain = _kinds_by_domain()
    access_domain = domains[ACCESS_DOMAIN]
    categories = list(Category)
    now = timezone.now()
    secret = hashlib.sha256(b"scale").hexdigest()
    routed = []  # (complaint index, department)
    routable = sizes.grants // 2 // len(ROUTED_ACTIONS)
    states = [ComplaintState.CLOSED] * 5 + [ComplaintState.ANSWERED, ComplaintState.SUBMITTED]

    def rows():
        for n in range(sizes.complaints):
            i = rng.randrange(len(p.inst_ids))
            district = p.districts[p.inst_district[i]]
            category = categories[n % len(categories)]
            supervision = domains[CATEGORY_DOMAINS[category]]
            submitted = now - dt.timedelta(seconds=(sizes.complaints - n) * 600)
            state = states[n % len(states)]
            if n < routable:
                state = ComplaintState.HANDLING if n % 2 else ComplaintState.ROUTED
                routed.append((n, _competent_department(p, district, supervision, kinds_by_domain)))
            text = f"模拟投诉第{n}号：{category.label}"
            yield (p.inst_ids[i], access_domain, supervision, district.pk, district.scope_code, p.inst_facts[i],
                   f"S{n:09d}", secret, category.value, Priority.NORMAL, state, text,
                   duplicate_key(text, p.inst_ids[i], ""), p.departments[(district.pk, "civil_affairs")].pk,
                   submitted, submitted.date() + dt.timedelta(days=7), submitted.date() + dt.timedelta(days=42))

    p.counts["complaints"] = copy_rows(Complaint, [
        "institution_id", "domain_id", "supervision_domain_id", "region_id", "region_code", "institution_facts",
        "code", "secret_hash", "category", "priority", "state", "description", "duplicate_key",
        "intake_department_id", "submitted_at", "acknowledge_due", "answer_due"], rows())
    ids = dict(Complaint.objects.filter(code__startswith="S", region_code__startswith="13").values_list("code", "id"))
    permissions = list(Permission.objects.filter(content_type__app_label="complaints",
                                                 codename__in=[f"{a}_complaint" for a in ROUTED_ACTIONS]))
    copy_rows(ComplaintRouting, ["complaint_id", "department_id", "role", "routed_at", "active"],
              ((ids[f"S{n:09d}"], d.pk, "lead", now, True) for n, d in routed))
    p.counts["complaint grants"] = copy_rows(ComplaintGroupObjectPermission, [
        "content_object_id", "group_id", "permission_id"],
        ((ids[f"S{n:09d}"], d.group_id, perm.pk) for n, d in routed for perm in permissions))


def _credit_events(sizes, p, rng):
    from credit.choices import EventKind, EventState
    from credit.models import CreditEvent

    kinds_by_domain = _kinds_by_domain()
    domains = [d for d in _record_domains() if d in kinds_by_domain]
    kinds = [EventKind.PENALTY, EventKind.PENALTY, EventKind.SERIOUS_FINDING, EventKind.BROKEN_PLEDGE,
             EventKind.HONOUR]
    today = timezone.localdate()

    def rows():
        for n in range(sizes.credit_events):
            i = rng.randrange(len(p.inst_ids))
            district = p.districts[p.inst_district[i]]
            domain = domains[n % len(domains)]
            yield (p.inst_ids[i], domain, district.scope_code, p.inst_facts[i], kinds[n % len(kinds)],
                   EventState.IN_FORCE, _competent_department(p, district, domain, kinds_by_domain).pk,
                   today - dt.timedelta(days=rng.randint(0, 3 * 365)), f"模拟信用事项第{n}号", True)

    p.counts["credit events"] = copy_rows(CreditEvent, [
        "institution_id", "domain_id", "region_code", "institution_facts", "kind", "state", "department_id",
        "occurred_on", "summary", "is_public"], rows())


def _finding_grants(sizes, p, rng):
    """The other half of the hand-offs: findings handed to a department of another district (a referral or a
    joint team), as guardian direct-FK grants of view to that department's Group."""
    from inspections.models import Finding, FindingGroupObjectPermission

    left = sizes.grants - p.counts.get("complaint grants", 0)
    bounds = Finding.objects.filter(region_code__startswith="13").values_list("id", flat=True)
    low, high = bounds.order_by("id").first(), bounds.order_by("-id").first()
    permission = Permission.objects.get(content_type__app_label="inspections", codename="view_finding")
    groups = [d.group_id for d in p.departments.values() if d.level == "district"]
    chosen = rng.sample(range(low, high + 1), min(max(left, 0), high - low + 1)) if low else []
    p.counts["finding grants"] = copy_rows(FindingGroupObjectPermission, [
        "content_object_id", "group_id", "permission_id"],
        ((f, rng.choice(groups), permission.pk) for f in sorted(chosen)))
