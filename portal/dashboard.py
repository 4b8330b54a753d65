"""The supervision-effectiveness dashboard (监管效能, issue 7 part 2): seed 004's indicators, per jurisdiction.

Every number is a count over `Model.objects.restrict(user, "view")` narrowed to one jurisdiction (a region
prefix: `12` 天津市, `120101` 和平区) and one period (a calendar year): a department sees the figures of what its
duties let it see, a leader those of its jurisdiction, and nothing here filters by department by hand.

Each function below is one SQL aggregate (grouped where a chart needs months or districts), so the page costs
the same number of queries for ten records as for ten million. Deadlines were counted in Chinese working days
when the record was made (`agencies.calendar`: on-site checks, leads, referrals and complaints store their due
date); the one deadline no record stores — how soon the verifying department decides a rectification — is
counted here with one `working_calendar()` snapshot over grouped dates, not per row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, ExtractMonth, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import prefix_upper_bound
from agencies.calendar import working_calendar
from agencies.choices import Action, RegionLevel
from agencies.models import Department, Domain, Region
from complaints.choices import ComplaintState, RoutingRole
from complaints.models import Complaint, ComplaintRouting
from credit.choices import EventKind, EventState, ListKind
from credit.models import CreditEvent, ListEntry
from inspections.choices import UNRESOLVED_FINDING_STATES, FindingState, Severity, SuspensionState
from inspections.models import Finding, Inspection, Rectification, Referral, SuspensionOrder, finding_day
from inspections.selectors import DONE_STATES
from institutions.choices import DisclosureKind, FilingState, FilingStatus, InstitutionStatus, OnSiteCheckStatus
from institutions.models import DisclosureItem, Filing, Institution, Lead, OnSiteCheck, StarRating

# How many working days the verifying department has to decide a submitted rectification (谁检查、谁验收). The
# seeds set no number; settings.RECTIFICATION_VERIFY_WORKING_DAYS overrides this default.
RECTIFICATION_VERIFY_WORKING_DAYS = 10
DISTRICT_CODE_LENGTH = 6
MONTHS = range(1, 13)


def verify_working_days() -> int:
    return int(getattr(settings, "RECTIFICATION_VERIFY_WORKING_DAYS", RECTIFICATION_VERIFY_WORKING_DAYS))


# ------------------------------------------------------------------------------------------- period, place


@dataclass(frozen=True)
class Period:
    """A calendar year, counted up to `today` when it is the current one."""

    year: int
    today: dt.date

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 12, 31)

    @property
    def as_of(self) -> dt.date:
        """The last day the figures can speak for: the year's end, or today within the current year."""
        return min(self.end, self.today)

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime(self.year, 1, 1))  # midnight in the portal's time zone

    @property
    def end_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime(self.year + 1, 1, 1))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} — {self.as_of:%Y-%m-%d}"


def period_for(year: int | None = None, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(year or today.year, today)


@dataclass(frozen=True)
class Jurisdiction:
    prefix: str  # the region's scope code: "12" for the city, "120101" for 和平区
    name: str
    is_city: bool


def jurisdictions_for(user) -> list[Jurisdiction]:
    """The city and districts the user may look at: those within its department's region (all for a superuser);
    none for an institution account or a user without a department."""
    from agencies.models import StaffProfile

    profile = (StaffProfile.objects.select_related("department__region").filter(user_id=user.pk).first()
               if user.is_authenticated else None)
    if user.is_superuser:
        prefix = ""
    elif profile is not None:
        prefix = profile.department.region.scope_code
    else:
        return []
    regions = Region.objects.filter(level__in=(RegionLevel.CITY, RegionLevel.DISTRICT)).order_by("code")
    return [Jurisdiction(r.scope_code, r.name, r.level == RegionLevel.CITY) for r in regions
            if r.scope_code.startswith(prefix)]


def in_jurisdiction(queryset, prefix: str, field_name: str = "region_code"):
    """Records whose region code starts with `prefix` — as an index range, the way restrict() writes it."""
    return queryset.filter(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix_upper_bound(prefix)})


def visible(model, user, prefix: str):
    """The one way the dashboard reads a regulated model: restrict(user, "view"), then the jurisdiction."""
    return in_jurisdiction(model.objects.restrict(user, Action.VIEW), prefix)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# ------------------------------------------------------------------------------------------- on time


@dataclass(frozen=True)
class OnTime:
    """Deadlines falling in the period: met, missed after all, or missed and still not done."""

    due: int = 0  # deadlines in the period that have passed, or were met early
    on_time: int = 0
    late: int = 0  # done, after the deadline
    pending: int = 0  # in the period, not done, deadline not yet reached (not counted in `due`)

    @property
    def missing(self) -> int:
        return self.due - self.on_time - self.late

    @property
    def overdue(self) -> int:
        """Late either way: done after the deadline, or not done by it."""
        return self.due - self.on_time

    @property
    def share(self) -> float | None:
        return share(self.on_time, self.due)


def _on_time(queryset, period: Period, due_field: str, done_q: Q, on_time_q: Q) -> OnTime:
    in_period = queryset.filter(**{f"{due_field}__gte": period.start, f"{due_field}__lte": period.end})
    row = in_period.aggregate(
        due=Count("pk", filter=done_q | Q(**{f"{due_field}__lt": period.today})),
        on_time=Count("pk", filter=done_q & on_time_q),
        late=Count("pk", filter=done_q & ~on_time_q),
        pending=Count("pk", filter=~done_q & Q(**{f"{due_field}__gte": period.today})))
    return OnTime(**row)


def onsite_checks_after_filing(user, prefix: str, period: Period) -> OnTime:
    """Seed 004 2.5: filed institutions checked on site within 20 working days of filing (OnSiteCheck.due_date)."""
    checks = visible(OnSiteCheck, user, prefix).filter(filing__isnull=False)
    return _on_time(checks, period, "due_date", Q(status=OnSiteCheckStatus.COMPLETED),
                    Q(checked_on__lte=F("due_date")))


def lead_checks(user, prefix: str, period: Period) -> OnTime:
    """Seed 004 2.6: operators found without filing checked on site within 20 working days (Lead.due_date)."""
    return _on_time(visible(Lead, user, prefix), period, "due_date", Q(checked_on__isnull=False),
                    Q(checked_on__lte=F("due_date")))


# ------------------------------------------------------------------------------------------- institutions


@dataclass
class DistrictRow:
    prefix: str
    name: str = ""
    operating: int = 0
    inspected: int = 0  # 3.5: at least one inspection completed in the year
    rated: int = 0  # 4.5: a star rating in force at the period's end
    filed: int = 0  # 4.13: filing information public (filed)
    service_items: int = 0  # 4.14: service items published
    fees: int = 0  # 4.14: fees published
    services_and_fees: int = 0  # 4.14: both
    findings: int = 0
    rectified: int = 0

    @property
    def inspected_share(self):
        return share(self.inspected, self.operating)

    @property
    def rated_share(self):
        return share(self.rated, self.operating)


def institutions_by_district(user, prefix: str, period: Period) -> list[DistrictRow]:
    """Operating institutions per district with what seed 004 asks of each (3.5, 4.5, 4.13, 4.14): one query, the
    EXISTS subqueries each through restrict() as well."""
    def exists(model, **lookups):
        return Exists(model.objects.restrict(user, Action.VIEW).filter(institution=OuterRef("pk"), **lookups))

    rows = (visible(Institution, user, prefix).filter(status=InstitutionStatus.OPERATING)
            .annotate(district=Substr("region_code", 1, DISTRICT_CODE_LENGTH),
                      was_inspected=exists(Inspection, state__in=DONE_STATES, completed_at__gte=period.start_at,
                                           completed_at__lt=period.end_at),
                      is_rated=exists(StarRating, rated_on__lte=period.as_of, valid_until__gte=period.as_of),
                      shows_services=exists(DisclosureItem, kind=DisclosureKind.SERVICE_ITEMS),
                      shows_fees=exists(DisclosureItem, kind=DisclosureKind.FEES))
            .values("district")
            .annotate(operating=Count("pk"), inspected=Count("pk", filter=Q(was_inspected=True)),
                      rated=Count("pk", filter=Q(is_rated=True)),
                      filed=Count("pk", filter=Q(filing_status=FilingStatus.FILED)),
                      service_items=Count("pk", filter=Q(shows_services=True)),
                      fees=Count("pk", filter=Q(shows_fees=True)),
                      services_and_fees=Count("pk", filter=Q(shows_services=True, shows_fees=True)))
            .order_by("district"))
    return [DistrictRow(prefix=row.pop("district"), **row) for row in rows]


# ------------------------------------------------------------------------------------------- findings (4.1)


@dataclass
class MonthRow:
    month: int
    findings: int = 0
    major: int = 0
    rectified: int = 0
    inspections: int = 0
    complaints: int = 0


@dataclass(frozen=True)
class Hazards:
    """Seed 004 4.1: hazards found in the period and what became of them."""

    found: int = 0
    major: int = 0
    rectified: int = 0  # rectified and verified (销号)
    rectified_on_time: int = 0  # 销号 by the rectification deadline
    overdue: int = 0  # still open past the deadline today
    by_domain: tuple = ()  # ((domain name, found, rectified), …)

    @property
    def rectified_share(self):
        return share(self.rectified, self.found)


def _findings_in_period(user, prefix: str, period: Period):
    return (visible(Finding, user, prefix)
            .annotate(day=finding_day())
            .filter(day__gte=period.start, day__lte=period.end))


def _finding_counts(period: Period) -> dict:
    closed = Q(state=FindingState.CLOSED)
    return {"found": Count("pk"), "major": Count("pk", filter=Q(severity=Severity.MAJOR)),
            "rectified": Count("pk", filter=closed),
            "rectified_on_time": Count("pk", filter=closed & Q(closed_on__lte=F("rectification_due"))),
            "overdue": Count("pk", filter=Q(state__in=UNRESOLVED_FINDING_STATES,
                                            rectification_due__lt=period.today))}


FINDING_GRAINS = ("month", "district", "domain_id")
FINDING_COUNTS = ("found", "major", "rectified", "rectified_on_time", "overdue")


@dataclass
class FindingTotals:
    """The 4.1 counts of one scan of the period's findings, rolled up per month, per district, per domain and
    over all: the monthly trend, the district table, the domain breakdown and the indicator's totals."""

    by_month: dict = field(default_factory=dict)  # month → counts
    by_district: dict = field(default_factory=dict)  # district code → counts
    by_domain: dict = field(default_factory=dict)  # domain id → counts
    total: dict = field(default_factory=lambda: dict.fromkeys(FINDING_COUNTS, 0))


def _finding_groups(user, prefix: str, period: Period):
    return (_findings_in_period(user, prefix, period)
            .annotate(month=ExtractMonth("day"), district=Substr("region_code", 1, DISTRICT_CODE_LENGTH),
                      closed_on=TruncDate("closed_at"))
            .values(*FINDING_GRAINS).annotate(**_finding_counts(period)).order_by())


def _rolled_up_in_sql(queryset) -> list[dict]:
    """The same GROUP BY as GROUPING SETS ((month), (district), (domain), ()): a province's year is ~150,000
    findings in ~18,000 (month, district, domain) groups, which PostgreSQL would otherwise hash and Python
    then re-add; this way the database returns ~130 rows. The restricted queryset is the query: only its
    GROUP BY clause (the last clause, the queryset being unordered) is replaced."""
    sql, params = queryset.query.sql_with_params()
    head, _sep, _group_by = sql.rpartition(" GROUP BY ")
    sets = ", ".join(f"({i})" for i in range(1, len(FINDING_GRAINS) + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"{head} GROUP BY GROUPING SETS ({sets}, ())", params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _rolled_up_in_python(rows) -> list[dict]:
    """What _rolled_up_in_sql returns, from the fine groups (databases without GROUPING SETS: SQLite)."""
    rolled = {}
    for r in rows:
        for grain in (*FINDING_GRAINS, None):
            key = {g: (r[g] if g == grain else None) for g in FINDING_GRAINS}
            out = rolled.setdefault(tuple(key.values()), {**key, **dict.fromkeys(FINDING_COUNTS, 0)})
            for k in FINDING_COUNTS:
                out[k] += r[k]
    return list(rolled.values())


def finding_totals(user, prefix: str, period: Period) -> FindingTotals:
    queryset = _finding_groups(user, prefix, period)
    rows = _rolled_up_in_sql(queryset) if connection.vendor == "postgresql" else _rolled_up_in_python(queryset)
    totals = FindingTotals()
    for r in rows:
        counts = {k: r[k] for k in FINDING_COUNTS}
        if r["month"] is not None:
            totals.by_month[int(r["month"])] = counts
        elif r["district"] is not None:
            totals.by_district[r["district"]] = counts
        elif r["domain_id"] is not None:
            totals.by_domain[r["domain_id"]] = counts
        else:
            totals.total = counts
    return totals


def hazards(totals: FindingTotals) -> Hazards:
    """4.1, with found and rectified per supervision domain, most found first."""
    domains = {pk: (code, name) for pk, code, name in
               Domain.objects.filter(pk__in=list(totals.by_domain)).values_list("pk", "code", "name")}
    by_domain = sorted(((domains[pk], c) for pk, c in totals.by_domain.items()),
                       key=lambda item: (-item[1]["found"], item[0][0]))
    return Hazards(**totals.total, by_domain=tuple((name, c["found"], c["rectified"])
                                                   for (_code, name), c in by_domain))


def inspections_by_month(user, prefix: str, period: Period) -> dict[int, int]:
    rows = (visible(Inspection, user, prefix)
            .filter(state__in=DONE_STATES, completed_at__gte=period.start_at, completed_at__lt=period.end_at)
            .annotate(month=ExtractMonth("completed_at")).values("month").annotate(n=Count("pk")))
    return {r["month"]: r["n"] for r in rows}


# ------------------------------------------------------------------------------------------- enforcement


@dataclass(frozen=True)
class Enforcement:
    """Seed 004 4.2: penalties and enforcement decided in the period (credit events in force, suspension orders)."""

    penalties: int = 0
    compulsory: int = 0
    suspensions: int = 0
    public_penalties: int = 0  # 4.13: penalty decisions published

    @property
    def total(self) -> int:
        return self.penalties + self.compulsory + self.suspensions


def enforcement(user, prefix: str, period: Period) -> Enforcement:
    events = (visible(CreditEvent, user, prefix)
              .filter(state=EventState.IN_FORCE, occurred_on__gte=period.start, occurred_on__lte=period.end)
              .aggregate(penalties=Count("pk", filter=Q(kind=EventKind.PENALTY)),
                         compulsory=Count("pk", filter=Q(kind=EventKind.COMPULSORY_MEASURE)),
                         public_penalties=Count("pk", filter=Q(kind=EventKind.PENALTY, is_public=True))))
    suspensions = (visible(SuspensionOrder, user, prefix)
                   .filter(state__in=(SuspensionState.IN_FORCE, SuspensionState.LIFTED),
                           issued_on__gte=period.start, issued_on__lte=period.end).count())
    return Enforcement(suspensions=suspensions, **events)


@dataclass(frozen=True)
class Lists:
    """Seed 004 4.3: the blacklist published in the period (and the other two lists, for context)."""

    black_published: int = 0
    black_in_force: int = 0  # on the published blacklist at the period's end
    watch_published: int = 0
    red_published: int = 0


def lists_published(user, prefix: str, period: Period) -> Lists:
    published = Q(published_on__gte=period.start, published_on__lte=period.end)
    still_listed = Q(published_on__lte=period.as_of) & (Q(ended_on__isnull=True) | Q(ended_on__gt=period.as_of))
    row = visible(ListEntry, user, prefix).aggregate(
        black_published=Count("pk", filter=published & Q(list_kind=ListKind.BLACK)),
        black_in_force=Count("pk", filter=still_listed & Q(list_kind=ListKind.BLACK)),
        watch_published=Count("pk", filter=published & Q(list_kind=ListKind.WATCH)),
        red_published=Count("pk", filter=published & Q(list_kind=ListKind.RED)))
    return Lists(**row)


@dataclass(frozen=True)
class Filings:
    """Seed 004 4.12: filings handled (备案办理) in the period."""

    submitted: int = 0
    approved: int = 0
    returned: int = 0


def filings_handled(user, prefix: str, period: Period) -> Filings:
    in_period = Q(reviewed_at__gte=period.start_at, reviewed_at__lt=period.end_at)
    row = visible(Filing, user, prefix).aggregate(
        submitted=Count("pk", filter=Q(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)),
        approved=Count("pk", filter=in_period & Q(state=FilingState.APPROVED)),
        returned=Count("pk", filter=in_period & Q(state=FilingState.RETURNED)))
    return Filings(**row)


# ------------------------------------------------------------------------------------------- duty performance


@dataclass
class DutyRow:
    """One department's record in the period (履职照单免责、失职照单问责, seed 001 row 11)."""

    department_id: int
    name: str = ""
    referrals: OnTime = field(default_factory=OnTime)
    rectifications: OnTime = field(default_factory=OnTime)
    complaints: OnTime = field(default_factory=OnTime)

    @property
    def columns(self) -> tuple[OnTime, OnTime, OnTime]:
        return self.referrals, self.rectifications, self.complaints


def _grouped_on_time(rows, key: str) -> dict[int, OnTime]:
    return {r[key]: OnTime(due=r["due"], on_time=r["on_time"], late=r["late"], pending=r["pending"])
            for r in rows if r[key] is not None}


def referrals_by_department(user, prefix: str, period: Period) -> dict[int, OnTime]:
    """Referrals sent in the period, per receiving department: answered (or returned) by their answer date."""
    answered = Q(answered_at__isnull=False)
    rows = (visible(Referral, user, prefix).filter(sent_at__gte=period.start_at, sent_at__lt=period.end_at)
            .annotate(answered_on=TruncDate("answered_at")).values("to_department")
            .annotate(due=Count("pk", filter=answered | Q(answer_due__lt=period.today)),
                      on_time=Count("pk", filter=answered & Q(answered_on__lte=F("answer_due"))),
                      late=Count("pk", filter=answered & Q(answered_on__gt=F("answer_due"))),
                      pending=Count("pk", filter=~answered & Q(answer_due__gte=period.today)))
            .order_by("to_department"))
    return _grouped_on_time(rows, "to_department")


def complaints_by_department(user, prefix: str, period: Period) -> tuple[dict[int, OnTime], dict[int, int]]:
    """Complaints received in the period, per handling department (the lead routing, else the intake bureau):
    answered by their working-day answer date. Also the monthly count of complaints received."""
    lead = ComplaintRouting.objects.filter(complaint=OuterRef("pk"), active=True, role=RoutingRole.LEAD)
    responded = Q(responded_on__isnull=False)
    rows = list(visible(Complaint, user, prefix)
                .filter(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)
                .exclude(state=ComplaintState.MERGED)
                .annotate(handler=Coalesce(Subquery(lead.values("department_id")[:1]), "intake_department_id",
                                          output_field=IntegerField()),
                          month=ExtractMonth("submitted_at"),
                          # A dismissed complaint is answered by its dismissal (the reason is the reply).
                          responded_on=TruncDate(Coalesce("answered_at", "closed_at")))
                .values("handler", "month")
                .annotate(received=Count("pk"),
                          due=Count("pk", filter=responded | Q(answer_due__lt=period.today)),
                          on_time=Count("pk", filter=responded & Q(responded_on__lte=F("answer_due"))),
                          late=Count("pk", filter=responded & Q(responded_on__gt=F("answer_due"))),
                          pending=Count("pk", filter=~responded & Q(answer_due__gte=period.today)))
                .order_by())  # summed into dicts below: hashed, not sorted
    per_department, per_month = defaultdict(lambda: defaultdict(int)), defaultdict(int)
    for r in rows:
        for k in ("due", "on_time", "late", "pending"):
            per_department[r["handler"]][k] += r[k]
        per_month[r["month"]] += r["received"]
    return {d: OnTime(**counts) for d, counts in per_department.items()}, dict(per_month)


def rectifications_by_department(user, prefix: str, period: Period) -> dict[int, OnTime]:
    """Rectifications submitted in the period, per verifying department (谁检查、谁验收): decided within
    `verify_working_days()` Chinese working days of submission. Grouped by dates in SQL, the working days counted
    once per distinct date from one calendar snapshot."""
    findings = visible(Finding, user, prefix).values("pk")
    rows = (Rectification.objects.filter(finding_id__in=Subquery(findings))
            .filter(submitted_at__gte=period.start_at, submitted_at__lt=period.end_at)
            .annotate(department=Coalesce("finding__verifying_department_id", "finding__found_by_id",
                                          output_field=IntegerField()),
                      submitted_on=TruncDate("submitted_at"), decided_on=TruncDate("reviewed_at"))
            .values("department", "submitted_on", "decided_on").annotate(n=Count("pk"))
            .order_by("department", "submitted_on"))
    calendar, days, deadlines = working_calendar(), verify_working_days(), {}
    counts = defaultdict(lambda: defaultdict(int))
    for r in rows:
        submitted = r["submitted_on"]
        if submitted not in deadlines:
            deadlines[submitted] = calendar.add_working_days(submitted, days)
        deadline, decided, c = deadlines[submitted], r["decided_on"], counts[r["department"]]
        if decided is not None:
            c["due"] += r["n"]
            c["on_time" if decided <= deadline else "late"] += r["n"]
        elif deadline < period.today:
            c["due"] += r["n"]
        else:
            c["pending"] += r["n"]
    return {d: OnTime(**c) for d, c in counts.items() if d is not None}


def duty_table(referrals, rectifications, complaints) -> list[DutyRow]:
    ids = set(referrals) | set(rectifications) | set(complaints)
    names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = [DutyRow(d, names.get(d, ""), referrals.get(d, OnTime()), rectifications.get(d, OnTime()),
                    complaints.get(d, OnTime())) for d in ids]
    return sorted(rows, key=lambda r: r.name)


# ------------------------------------------------------------------------------------------- all of it


@dataclass
class Dashboard:
    user_id: int
    jurisdiction: Jurisdiction
    period: Period
    onsite: OnTime
    leads: OnTime
    districts: list
    hazards: Hazards
    enforcement: Enforcement
    lists: Lists
    filings: Filings
    months: list
    duty: list

    def total(self, attr: str) -> int:
        return sum(getattr(d, attr) for d in self.districts)

    @property
    def operating(self) -> int:
        return self.total("operating")

    @property
    def inspected(self) -> int:
        return self.total("inspected")

    @property
    def rated(self) -> int:
        return self.total("rated")

    @property
    def inspected_share(self):
        return share(self.inspected, self.operating)

    @property
    def rated_share(self):
        return share(self.rated, self.operating)


def _district_rows(user, prefix, period, findings: FindingTotals) -> list[DistrictRow]:
    rows = {r.prefix: r for r in institutions_by_district(user, prefix, period)}
    for district, f in findings.by_district.items():
        row = rows.setdefault(district, DistrictRow(district))
        row.findings += f["found"]
        row.rectified += f["rectified"]
    names = dict(Region.objects.filter(scope_code__in=list(rows)).values_list("scope_code", "name"))
    for row in rows.values():
        row.name = names.get(row.prefix, row.prefix)
    return [rows[k] for k in sorted(rows)]


def _month_rows(findings: FindingTotals, inspections, complaints) -> list[MonthRow]:
    months = {m: MonthRow(m, inspections=inspections.get(m, 0), complaints=complaints.get(m, 0)) for m in MONTHS}
    for month, f in findings.by_month.items():
        row = months[month]
        row.findings += f["found"]
        row.major += f["major"]
        row.rectified += f["rectified"]
    return [months[m] for m in MONTHS]


def build_dashboard(user, jurisdiction: Jurisdiction, period: Period) -> Dashboard:
    prefix = jurisdiction.prefix
    findings = finding_totals(user, prefix, period)
    complaints, complaints_per_month = complaints_by_department(user, prefix, period)
    return Dashboard(
        user_id=user.pk, jurisdiction=jurisdiction, period=period,
        onsite=onsite_checks_after_filing(user, prefix, period), leads=lead_checks(user, prefix, period),
        districts=_district_rows(user, prefix, period, findings),
        hazards=hazards(findings),
        enforcement=enforcement(user, prefix, period), lists=lists_published(user, prefix, period),
        filings=filings_handled(user, prefix, period),
        months=_month_rows(findings, inspections_by_month(user, prefix, period), complaints_per_month),
        duty=duty_table(referrals_by_department(user, prefix, period),
                        rectifications_by_department(user, prefix, period), complaints))


def chart_data(board: Dashboard) -> dict:
    """What static/js/dashboard.js draws; the same numbers as the tables beside the charts."""
    return {
        "months": {"labels": [str(_("%(m)d月") % {"m": m.month}) for m in board.months],
                   "series": [{"label": str(_("发现问题隐患")), "data": [m.findings for m in board.months]},
                              {"label": str(_("已整改销号")), "data": [m.rectified for m in board.months]},
                              {"label": str(_("完成检查")), "data": [m.inspections for m in board.months]},
                              {"label": str(_("收到投诉")), "data": [m.complaints for m in board.months]}]},
        "districts": {"labels": [d.name for d in board.districts],
                      "series": [{"label": str(_("年度检查覆盖率（%）")),
                                  "data": [_percent(d.inspected_share) for d in board.districts]},
                                 {"label": str(_("等级评定覆盖率（%）")),
                                  "data": [_percent(d.rated_share) for d in board.districts]}]},
    }


def _percent(value):
    return None if value is None else round(value * 100, 1)
