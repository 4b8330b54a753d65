"""Leak hunting (issue 8 point 8): every demo role walks every page and endpoint, and nothing outside its duty shows.

Every demo account (and an anonymous visitor) GETs every named URL of the HTML shell and of `/api/` — taken from the
URL resolver, so a new page is walked without touching this file; a pattern with arguments is filled with records of
the demo (a per-role sample where there are many). Each regulated record carries a unique marker (`LK<tag><pk>Q`)
in one of its text fields, and each complaint a distinctive complainant name and phone. In every response body
(HTML, JSON, CSV, the cells of XLSX) the test collects the records it names — by marker, by a link to a page of the
record, by id in an API list or detail — and compares them with what the role may see:

- on staff pages, what the independent oracle (tests/agencies/oracle.py, the CSVs alone) grants the role, plus the
  explicit hand-offs read from the grant tables; an institution account its own institution's records;
- on public pages (anonymous or not), what the disclosure rules publish (restated below from the public selectors);
- the complainant's name and phone only on staff pages, to the intake bureau and the departments handling that
  complaint — never to the institution, leaders, other departments, the superuser's shell, or any public page.

A forbidden record's page must answer exactly as a missing record's does (404 for a logged-in user; the login
redirect for an anonymous one), and every record a role may see must show up somewhere in what it was given.
"""

import io
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.models import Department, Domain
from complaints import crypto
from complaints.models import Complaint, ComplaintAttachment, ComplaintGroupObjectPermission, ComplaintRouting
from credit.models import (
    CreditDocument,
    CreditEvaluation,
    CreditEvent,
    CreditEventGroupObjectPermission,
    CreditRepair,
    ListEntry,
    ListEntryGroupObjectPermission,
    RiskAssessment,
)
from inspections.models import (
    Finding,
    FindingGroupObjectPermission,
    FindingPhoto,
    FindingUserObjectPermission,
    Inspection,
    InspectionGroupObjectPermission,
    InspectionUserObjectPermission,
    Rectification,
    RectificationEvidence,
    Referral,
    ReferralGroupObjectPermission,
    SupervisedCase,
    SuspensionOrder,
)
from institutions.choices import INCIDENT_DOMAINS, IncidentType, LeadSource
from institutions.models import (
    DisclosureItem,
    EmergencyDrill,
    Filing,
    FilingMaterial,
    IncidentReport,
    Institution,
    InstitutionUserObjectPermission,
    Lead,
    OnSiteCheck,
    StarRating,
)
from tests.agencies import oracle

pytestmark = pytest.mark.django_db

# The text field that carries each record's marker, and the marker's tag. CreditEvaluation and RiskAssessment have
# no free text: they are found by link and by API id only; institutions likewise (their names are public anyway).
MARKED = {
    Finding: ("FI", "text"), Filing: ("FL", "service_scope"), OnSiteCheck: ("OC", "notes"), Lead: ("LD", "description"),
    DisclosureItem: ("DI", "content"), StarRating: ("SR", "certificate_no"), IncidentReport: ("IR", "description"),
    EmergencyDrill: ("ED", "topic"), Inspection: ("IN", "public_summary"), Referral: ("RF", "reason"),
    SupervisedCase: ("SC", "requirements"), SuspensionOrder: ("SO", "reason"), Complaint: ("CP", "description"),
    CreditEvent: ("CE", "summary"), ListEntry: ("LE", "facts"), CreditRepair: ("CR", "statement"),
    CreditEvaluation: ("CV", None), RiskAssessment: ("RA", None),
}
TRACKED = [*MARKED, Institution]
BY_TAG = {tag: model for model, (tag, _field) in MARKED.items()}
MARKER = re.compile(r"LK([A-Z]{2})(\d{6})Q")
NAME_TAG = "PN"  # complainant names: LKPN<complaint pk>Q (masked they read "L**")
PHONE = re.compile(r"139(\d{8})")  # complainant phones: 139 + the complaint pk on 8 digits (masked: 139****1234)
LINK = re.compile(r'(?:href|src|action|hx-get|hx-post)="([^"#]+)"|https?://testserver(/[^"\s<]*)')

# The grant tables (direct-FK guardian permissions): what the demo handed to whom, read as data.
GROUP_GRANTS = [FindingGroupObjectPermission, InspectionGroupObjectPermission, ReferralGroupObjectPermission,
                ComplaintGroupObjectPermission, CreditEventGroupObjectPermission, ListEntryGroupObjectPermission]
USER_GRANTS = [FindingUserObjectPermission, InspectionUserObjectPermission]
COMPLAINT_STATUTORY_KINDS = {"civil_affairs", "district_government"}  # seed 000 task 26, as the types matrix says

PUBLIC_PREFIXES = ("/public/", "/api/v1/public/", "/complaints/")
MISSING_PK = 99_999_999


def marker(model, pk) -> str:
    return f"LK{MARKED[model][0]}{pk:06d}Q"


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


# ------------------------------------------------------------------------------------------------ the world


def _add_missing_record_types(today):
    """The demo has no lead, incident, drill, repair or uploaded file yet: one of each in 和平区 and 河西区, so every
    record page and download has something to be walked with."""
    domains = {d.code: d for d in Domain.objects.all()}
    pdf = b"%PDF-1.4 leak-hunt"
    for code in ("120101", "120103"):
        civil = Department.objects.get(kind__code="civil_affairs", region__code=code)
        inst = Institution.objects.filter(region__code=code, name__startswith="天津市").order_by("id").first()
        Lead.objects.create(operator_name=f"无名托老点{code}", address="某路", region=inst.region, registered=False,
                            domain=domains["registration_filing"], source=LeadSource.INSPECTION, description="x",
                            discovered_on=today, due_date=today, department=civil)
        kind = IncidentType.FIRE if IncidentType.FIRE in INCIDENT_DOMAINS else next(iter(IncidentType))
        IncidentReport.objects.create(institution=inst, domain=domains[INCIDENT_DOMAINS[kind]], type=kind,
                                      occurred_at=timezone.now(), description="x", measures="措施")
        EmergencyDrill.objects.create(institution=inst, domain=domains["emergency_response"], held_on=today, topic="x")
        FindingPhoto.objects.create(finding=Finding.objects.filter(institution=inst).order_by("id").first(),
                                    file=ContentFile(pdf, name="photo.jpg"), content_type="image/jpeg")
        filing = Filing.objects.filter(institution__region__code=code).order_by("id").first()
        FilingMaterial.objects.create(filing=filing, kind="other", file=ContentFile(pdf, name="m.pdf"),
                                      original_name="m.pdf", content_type="application/pdf", size=len(pdf),
                                      sha256="0" * 64)
    entry = ListEntry.objects.order_by("id").first()
    repair = CreditRepair.objects.create(institution=entry.institution, domain=entry.domain, list_entry=entry,
                                         statement="x", applied_on=today)
    CreditDocument.objects.create(repair=repair, file=ContentFile(pdf, name="d.pdf"), original_name="d.pdf")
    CreditDocument.objects.create(event=CreditEvent.objects.order_by("id").first(),
                                  file=ContentFile(pdf, name="e.pdf"), original_name="e.pdf")
    for rectification in Rectification.objects.order_by("id")[:1]:
        RectificationEvidence.objects.create(rectification=rectification, file=ContentFile(pdf, name="r.pdf"),
                                             content_type="application/pdf")


def _stamp_markers():
    for model, (_tag, name) in MARKED.items():
        if name:
            for pk in model.objects.values_list("pk", flat=True):
                model.objects.filter(pk=pk).update(**{name: marker(model, pk)})
    # Every complaint gets a complainant (anonymous ones too): the more identities, the more chances to leak one.
    for complaint in Complaint.objects.all():
        Complaint.objects.filter(pk=complaint.pk).update(
            complainant_name=f"LK{NAME_TAG}{complaint.pk:06d}Q",
            complainant_phone_encrypted=crypto.encrypt(f"139{complaint.pk:08d}"))
    # Attachments are personal data: their content is the complainant's phone, so a download shows who may read it.
    for complaint in Complaint.objects.order_by("id")[:3]:
        ComplaintAttachment.objects.create(
            complaint=complaint, file=ContentFile(f"139{complaint.pk:08d}".encode(), name="a.txt"),
            original_name="a.txt", content_type="text/plain", size=11, sha256="0" * 64)


@dataclass
class Role:
    key: str
    user: object = None  # None: anonymous
    staff: dict = field(default_factory=dict)  # model -> pks the role may see on staff pages
    identities: set = field(default_factory=set)  # complaint pks whose complainant the role may see


def _facts(record):
    if isinstance(record, Lead):
        return {"registered_not_filed" if record.registered else "unregistered"}
    return oracle.facts_of(record.institution) if record.institution_id else set()


def _records():
    found = {}
    for model in MARKED:
        related = [] if model is Lead else ["institution"]
        found[model] = list(model.objects.select_related("domain", *related))
    found[Institution] = list(Institution.objects.all())
    return found


def _grants():
    """(group id or user id, model) -> pks handed over for `view`."""
    by_group, by_user = defaultdict(set), defaultdict(set)
    for table in GROUP_GRANTS:
        model = table._meta.get_field("content_object").related_model
        for group_id, pk in table.objects.filter(permission__codename__startswith="view_").values_list(
                "group_id", "content_object_id"):
            by_group[(group_id, model)].add(pk)
    for table in USER_GRANTS:
        model = table._meta.get_field("content_object").related_model
        for user_id, pk in table.objects.filter(permission__codename__startswith="view_").values_list(
                "user_id", "content_object_id"):
            by_user[(user_id, model)].add(pk)
    return by_group, by_user


def _staff_visible(user, records, grants) -> dict:
    if user.is_superuser:
        return {model: {r.pk for r in rows} for model, rows in records.items()}
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return _institution_account_visible(user, records)
    dept = profile.department
    kind, code, level = dept.kind.code, dept.region.code, dept.region.level
    by_group, by_user = grants
    domain_codes = [d.code for d in Domain.objects.all()]

    def may(record, domain):
        return oracle.may(kind, code, level, "view", record.region_code, domain, _facts(record))

    visible = {}
    for model, rows in records.items():
        if model is Institution:
            visible[model] = {r.pk for r in rows if any(
                oracle.may(kind, code, level, "view", r.region_code, d, oracle.facts_of(r)) for d in domain_codes)}
            continue
        by_duty = (kind in COMPLAINT_STATUTORY_KINDS) if model is Complaint else True
        visible[model] = ({r.pk for r in rows if by_duty and may(r, r.domain.code)}
                          | by_group[(dept.group_id, model)] | by_user[(user.pk, model)])
    return visible


# An institution learns of an inspection from its notice on: a planned (unannounced) check stays unannounced.
INSPECTION_STATES_AN_INSTITUTION_SEES = {"notified", "in_progress", "completed", "published"}


def _institution_account_visible(user, records) -> dict:
    """Its own institution's records; never a complaint (nor so its complainant) or a lead (no institution)."""
    own = set(InstitutionUserObjectPermission.objects.filter(
        user=user, permission__codename="view_institution").values_list("content_object_id", flat=True))

    def sees(model, record):
        if model in (Complaint, Lead):
            return False
        if model is Inspection and record.state not in INSPECTION_STATES_AN_INSTITUTION_SEES:
            return False
        return (record.pk if model is Institution else record.institution_id) in own

    return {model: {r.pk for r in rows if sees(model, r)} for model, rows in records.items()}


def _identities(user) -> set:
    """The complaints whose complainant this user may see: its department took them in or handles them."""
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return set()
    taken_in = Complaint.objects.filter(intake_department=profile.department_id).values_list("pk", flat=True)
    handled = ComplaintRouting.objects.filter(active=True, department=profile.department_id).values_list(
        "complaint_id", flat=True)
    return set(taken_in) | set(handled)


def _published(records, today) -> dict:
    """What the disclosure rules publish, restated from the public selectors (institutions.selectors,
    inspections.selectors.public_results, services.findings.supervised_cases_public, services.records.leads_public,
    credit.selectors.public_list_entries): the same for every visitor. No public page shows credit events.

    A filing is public only as its number, a rating as its level, a list entry as its grounds (no marker, no id),
    so the check that every published record shows on the public site leaves those out."""
    public_institutions = {i.pk for i in records[Institution] if i.status != "closed"
                           and i.filing_status != "cancelled"}
    rules = {
        Institution: lambda i: i.pk in public_institutions,
        Inspection: lambda r: r.state == "published",
        SupervisedCase: lambda r: r.state == "open",
        Lead: lambda r: r.publicly_listed and r.state in ("open", "checked"),
        ListEntry: lambda r: r.state == "published" and r.published_on and r.published_on <= today <= r.listed_until,
        DisclosureItem: lambda r: r.institution_id in public_institutions,
        StarRating: lambda r: r.institution_id in public_institutions and r.valid_until >= today,
        Filing: lambda r: r.institution_id in public_institutions and r.state == "approved",
    }
    return {model: {r.pk for r in rows if model in rules and rules[model](r)} for model, rows in records.items()}


# ------------------------------------------------------------------------------------------------ the routes


def _walk_resolver(resolver, prefix="", namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk_resolver(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}", entry


def all_routes():
    for route, name, entry in _walk_resolver(get_resolver()):
        if route.startswith("admin/"):
            continue  # the Django admin: superuser-only, tested in tests/agencies/test_admin.py
        if "(?P<format>" in route:
            continue  # DRF's `.json` suffix twin of a route walked as it is
        actions = getattr(entry.callback, "actions", None)
        if actions is not None and "get" not in actions:
            continue  # a POST-only API action: GET answers 405 before any record is looked up
        yield route, name, entry


def _child(model, owner_of):
    rows = list(model.objects.all())
    owners = {row.pk: owner_of(row) for row in rows}
    return [{"pk": row.pk} for row in rows], lambda kw: owners.get(kw["pk"])


def _by_pk(model, **extra):
    return [{"pk": pk, **extra} for pk in model.objects.order_by("pk").values_list("pk", flat=True)], \
        lambda kw: (model, kw["pk"])


def _unowned(model, limit=3, key="pk"):
    return [{key: v} for v in model.objects.order_by("pk").values_list(key, flat=True)[:limit]], lambda kw: None


@cache
def html_fillers():
    """How to fill each HTML pattern that takes arguments: (candidate kwargs, the record they open or None)."""
    from agencies.models import BackgroundJob, Duty
    from inspections.models import Draw, InspectionPlan
    from portal.models import Notification
    from portal.open_data import DATASETS

    per_model = {
        Filing: ["filing-mine-update", "filing-mine-material", "filing-mine-pledge", "filing-mine-submit",
                 "filing-detail", "filing-return", "filing-approve", "filing-receipt"],
        OnSiteCheck: ["filing-onsite-record"],
        Lead: ["records-lead-detail", "records-lead-check", "records-lead-close"],
        # An institution's "十一个上墙" items are one page per institution.
        Institution: ["public-institution-detail", "credit-institution", "records-disclosure-view",
                      "records-disclosure-edit"],
        Inspection: ["inspection-detail", "inspection-pdf", "inspection-notify", "inspection-start",
                     "inspection-cancel", "inspection-publish", "inspection-execute", "inspection-finding-create",
                     "inspection-sign", "public-inspection-result"],
        Finding: ["finding-detail", "finding-rectify", "finding-verify", "finding-refer", "finding-supervise",
                  "finding-suspend"],
        Referral: ["referral-detail"],
        SupervisedCase: ["supervised-case-lift"],
        Complaint: ["complaint-detail", "complaint-route", "complaint-acknowledge", "complaint-return",
                    "complaint-answer", "complaint-dismiss", "complaint-merge", "complaint-close",
                    "complaint-open-lead", "complaint-request-inspection"],
        ListEntry: ["credit-entry-detail", "credit-entry-object", "credit-repair-apply"],
    }
    fillers = {name: _by_pk(model) for model, names in per_model.items() for name in names}
    unowned = {Notification: ["notification-open"], BackgroundJob: ["job-detail", "job-download"],
               Duty: ["duty-detail", "public-duty-detail"],
               InspectionPlan: ["plan-detail", "plan-publish", "draw-commit"],
               Draw: ["draw-detail", "draw-execute", "public-draw-detail", "public-draw-verify", "public-draw-input",
                      "public-draw-result"]}
    fillers |= {name: _unowned(model, limit=100) for model, names in unowned.items() for name in names}
    kinds = [{"kind": k} for k in ("problems", "rectification", "responsibility")]
    attachments = list(ComplaintAttachment.objects.all())
    fillers |= {
        "public-open-data-file": ([{"dataset": d.slug, "fmt": f} for d in DATASETS for f in ("csv", "json")],
                                  lambda kw: None),
        "finding-lists": (kinds, lambda kw: None), "finding-lists-export": (kinds, lambda kw: None),
        "filing-material": _child(FilingMaterial, lambda m: (Filing, m.filing_id)),
        "finding-photo": _child(FindingPhoto, lambda p: (Finding, p.finding_id)),
        "rectification-evidence": _child(RectificationEvidence, lambda e: (Finding, e.rectification.finding_id)),
        "credit-document": _child(CreditDocument, lambda d: (CreditEvent, d.event_id) if d.event_id
                                  else (CreditRepair, d.repair_id)),
        "referral-action": _by_pk(Referral, action="accept"),
        "suspension-order-action": _by_pk(SuspensionOrder, action="issue"),
        "credit-entry-step": _by_pk(ListEntry, step="notify"),
        "credit-repair-review": _by_pk(CreditRepair, decision="approve"),
        # Attachments are the complainant's own data: they follow the complainant's identity, not the complaint.
        "complaint-attachment": ([{"pk": a.complaint_id, "attachment_pk": a.pk} for a in attachments],
                                 lambda kw: ("identity", kw["pk"])),
    }
    return fillers


def _api_model(callback):
    view = getattr(callback, "cls", None)
    if view is not None and view.__name__ in API_MODELS:
        return API_MODELS[view.__name__]
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


# Public viewsets that build their queryset in get_queryset() (a disclosure rule), with the model they list.
API_MODELS = {"PublicInstitutionViewSet": Institution, "PublicInspectionResultViewSet": Inspection,
              "PublicSupervisedCaseViewSet": SupervisedCase}


@cache
def filler_for(name):
    """(candidates, owner_of) for a pattern with arguments, or None when the walker does not know how to fill it."""
    entry = _pattern_by_view_name()[name]
    if name in html_fillers():
        return html_fillers()[name]
    if name.startswith("api-v1:"):
        model = _api_model(entry.callback)
        groups = set(entry.pattern.regex.groupindex)
        if groups == {"kind"}:
            return [{"kind": k} for k in ("problems", "rectification", "responsibility")], lambda kw: None
        if model is None or not groups <= {"pk", "code"}:
            return None
        key = "code" if "code" in groups else "pk"
        if model in TRACKED:
            return _by_pk(model)
        return _unowned(model, key=key)
    return None


# ------------------------------------------------------------------------------------------------ a response


def body_text(response) -> str:
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for c in row if c is not None)
    if "pdf" in kind or kind.startswith("image/"):
        return ""  # compressed PDF streams and pixels: these pages are checked by their status only
    return raw.decode("utf-8", errors="replace")


@cache
def owner_of_path(path: str):
    """The record a link points to, ('public' | 'staff', (model, pk)), or None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    entry = _pattern_by_view_name().get(match.view_name)
    if entry is None or not match.kwargs:
        return None
    filled = filler_for(match.view_name)
    if filled is None:
        return None
    kwargs = {k: int(v) if str(v).isdigit() else v for k, v in match.kwargs.items() if k != "format"}
    owner = filled[1](kwargs)
    return (("public" if is_public(path) else "staff"), owner) if owner else None


@cache
def _pattern_by_view_name():
    return {name: entry for _route, name, entry in all_routes()}


def api_ids(path, text):
    """Records an API list or detail names by id: (model, pk) for the tracked models."""
    try:
        match = resolve(path)
    except Resolver404:
        return set()
    entry = _pattern_by_view_name().get(match.view_name)
    model = _api_model(entry.callback) if entry is not None and match.view_name.startswith("api-v1:") else None
    action = (getattr(entry.callback, "actions", None) or {}).get("get") if entry is not None else None
    if model not in TRACKED or action not in ("list", "retrieve"):
        return set()
    data = json.loads(text)
    rows = data.get("results", data) if isinstance(data, dict) and "results" in data else data
    rows = rows if isinstance(rows, list) else [rows]
    return {(model, row["id"]) for row in rows if isinstance(row, dict) and "id" in row}


@dataclass
class Seen:
    """What one response names."""

    records: set  # ('public' | 'staff', (model, pk))
    identities: set  # complaint pks


def what_it_names(path, response, pk_of_phone) -> Seen:
    text = body_text(response)
    context = "public" if is_public(path) else "staff"
    records, identities = set(), set()
    for tag, pk in MARKER.findall(text):
        if tag == NAME_TAG:
            identities.add(int(pk))
        elif tag in BY_TAG:
            records.add((context, (BY_TAG[tag], int(pk))))
    identities |= {pk_of_phone[p] for p in PHONE.findall(text) if p in pk_of_phone}
    for a, b in LINK.findall(text):
        target = urlsplit(a or b).path
        if target.startswith("/") and (owner := owner_of_path(target)):
            records.add(owner)
    if "json" in response.get("Content-Type", "") and path.startswith("/api/"):
        records |= {(context, owner) for owner in api_ids(path, text)}
    return Seen(records, identities)


# ------------------------------------------------------------------------------------------------ the walk


EXTRA_QUERIES = {  # pages whose content depends on a query: walked with each of these as well
    "dashboard": [{"region": "12"}, {"region": "120101"}, {"region": "120103"}],
    "public-search": [{"q": "天津"}, {"q": "和平"}],
    "complaint-list": [{"state": "all"}],
}
# Pages that show no regulated record whoever asks (the API's schema and docs, the duty catalog — public reference
# data): walked by an anonymous visitor and one staff user, not by every role (the schema alone takes a second).
RECORDLESS = {"api-schema", "api-docs", "api-redoc", "duty-catalog", "duty-detail", "public-duty-catalog",
              "public-duty-detail", "api-v1:duty-list", "api-v1:duty-detail", "api-v1:public-duty-list",
              "api-v1:public-duty-detail", "api-v1:domain-list", "api-v1:domain-detail", "api-v1:public-domain-list",
              "api-v1:public-domain-detail", "api-v1:region-list", "api-v1:region-detail", "api-v1:department-list",
              "api-v1:department-detail", "set_language"}
PAGE_LINK = re.compile(r'href="([^"]*[?&]page=\d+[^"]*)"')


@dataclass
class Walk:
    requests: int = 0
    problems: list = field(default_factory=list)
    seen: dict = field(default_factory=lambda: defaultdict(set))  # role key -> {(context, (model, pk))}
    seen_identities: dict = field(default_factory=lambda: defaultdict(set))
    records_opened: set = field(default_factory=set)
    unknown: list = field(default_factory=list)


class Walker:
    def __init__(self, world):
        self.world = world
        self.walk = Walk()

    def allowed(self, role, context, owner) -> bool:
        if owner[0] == "identity":
            return context == "staff" and owner[1] in role.identities
        model, pk = owner
        table = self.world["published"] if context == "public" else role.staff
        return pk in table.get(model, ())

    def get(self, client, role, path, query=None):
        response = client.get(path, query or {})
        self.walk.requests += 1
        if response.status_code >= 500:
            self.walk.problems.append(f"{role.key}: {path} {query or ''} answered {response.status_code}")
            return response
        if response.status_code == 200:
            seen = what_it_names(path, response, self.world["pk_of_phone"])
            self.walk.seen[role.key] |= seen.records
            self.walk.seen_identities[role.key] |= seen.identities
            for context, owner in seen.records:
                if not self.allowed(role, context, owner):
                    self.walk.problems.append(
                        f"{role.key}: {path} {query or ''} shows {owner[0].__name__} {owner[1]} ({context} page)")
            for pk in seen.identities - (role.identities if not is_public(path) else set()):
                self.walk.problems.append(f"{role.key}: {path} {query or ''} shows the complainant of complaint {pk}")
        return response

    def walk_list(self, client, role, path, query):
        response = self.get(client, role, path, query)
        if response.status_code != 200 or path.startswith("/api/") or getattr(response, "streaming", False):
            return
        pages = sorted({p for p in PAGE_LINK.findall(response.content.decode(errors="replace"))})
        for link in pages[:3]:  # the same query makes every page: the first ones show whether it is scoped
            split = urlsplit(link.replace("&amp;", "&"))
            if split.path in ("", path):
                self.get(client, role, path, dict(p.split("=", 1) for p in split.query.split("&") if "=" in p))

    def walk_role(self, role):
        client = Client()
        if role.user is not None:
            client.force_login(role.user)
        for route, name, entry in all_routes():
            if name in RECORDLESS and role.key not in ("anonymous", "civil_heping"):
                continue
            groups = set(entry.pattern.regex.groupindex) - {"format"}
            if not groups:
                path = self._plain(route)
                if path is None:
                    self.walk.unknown.append(f"{name} ({route})")
                    continue
                query = {"page_size": 1000} if name.startswith("api-v1:") else {}
                self.walk_list(client, role, path, query)
                for extra in EXTRA_QUERIES.get(name, []):
                    self.walk_list(client, role, path, extra)
                continue
            filled = filler_for(name)
            if filled is None:
                self.walk.unknown.append(f"{name} ({route})")
                continue
            self.walk_record_pages(client, role, name, *filled)

    @staticmethod
    def _plain(route):
        path = "/" + route.replace("^", "").replace("$", "")
        return None if "(" in path or "<" in path else path

    def walk_record_pages(self, client, role, name, candidates, owner_of):
        if not candidates:
            self.walk.problems.append(f"{name}: no record in the demo to walk it with")
            return
        refused = None  # how the page answers for a record that does not exist: asked only when needed
        for kwargs in self.sample(role, name, candidates, owner_of):
            path = reverse(name, kwargs=kwargs)
            response = self.get(client, role, path)
            if response.status_code == 405:
                return  # POST only (require_POST runs before the view looks anything up): the same for every record
            owner = owner_of(kwargs)
            if owner is None:
                continue
            self.walk.records_opened.add(owner)
            context = "public" if is_public(path) else "staff"
            if self.allowed(role, context, owner) or response.status_code == 404:
                continue
            if refused is None:
                missing = {k: MISSING_PK if isinstance(v, int) else v for k, v in kwargs.items()}
                refused = self.get(client, role, reverse(name, kwargs=missing)).status_code
            if response.status_code != refused or 200 <= response.status_code < 300:
                self.walk.problems.append(f"{role.key}: {path} answered {response.status_code} for a record it may "
                                          f"not see (a missing one: {refused})")

    def sample(self, role, name, candidates, owner_of):

        """All of a few; else some the role may not see and some it may, chosen per role and pattern (so that the
        roles together open many different records)."""
        main = name.endswith("detail") or name.endswith("-result")
        context = "public" if is_public(reverse(name, kwargs=candidates[0])) else "staff"
        if owner_of(candidates[0]) is None:
            return candidates[:3]  # not a regulated record (a duty, a plan, a notification): its text is searched
        if role.user is None and context == "public":
            return candidates  # the public's own pages are walked whole: they are what it may see
        if name in ("complaint-detail", "api-v1:complaint-detail") and role.identities:
            return candidates  # every complaint, so that each complainant is met by the departments handling it
        if len(candidates) <= 4:
            return candidates
        owned = [c for c in candidates if owner_of(c) is not None]
        if not owned:
            return candidates[:3]
        forbidden = [c for c in owned if not self.allowed(role, context, owner_of(c))]
        visible = [c for c in owned if self.allowed(role, context, owner_of(c))]
        rng = random.Random(f"{role.key}|{name}")
        hidden_n, shown_n = (3, 1) if main else (1, 1)
        return rng.sample(forbidden, min(hidden_n, len(forbidden))) + rng.sample(visible, min(shown_n, len(visible)))


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo city with markers and complainants stamped on it, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            today = timezone.localdate()
            _add_missing_record_types(today)
            _stamp_markers()
            records = _records()
            grants = _grants()
            roles = [Role("anonymous")]
            for user in get_user_model().objects.order_by("id"):
                roles.append(Role(user.username, user, _staff_visible(user, records, grants), _identities(user)))
            yield {"records": records, "roles": roles, "published": _published(records, today),
                   "pk_of_phone": {f"{c.pk:08d}": c.pk for c in records[Complaint]}}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for cached in (html_fillers, filler_for, owner_of_path, _pattern_by_view_name):
                cached.cache_clear()  # they hold the rolled-back records' ids


@pytest.fixture(scope="module")
def walked(world):
    walker = Walker(world)
    for role in world["roles"]:
        walker.walk_role(role)
    return walker.walk


def test_every_demo_role_is_walked(world, walked):
    print(f"leak hunt: {len(world['roles'])} roles, {walked.requests} requests, "
          f"{len(walked.records_opened)} records opened, {sum(len(r) for r in world['records'].values())} marked")
    demo_users = set(get_user_model().objects.values_list("username", flat=True))
    assert {r.key for r in world["roles"]} == demo_users | {"anonymous"}
    assert len(demo_users) >= 24 and walked.requests > 1000


def test_the_grant_tables_are_all_read():
    """A new hand-off table must join the oracle's grants above, or the walk would call its records leaks."""
    def concrete(base):
        return {m for m in _subclasses(base) if not m._meta.abstract and m._meta.app_label != "guardian"}

    assert concrete(GroupObjectPermissionBase) == set(GROUP_GRANTS)
    assert concrete(UserObjectPermissionBase) == {*USER_GRANTS, InstitutionUserObjectPermission}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_pattern_with_arguments_is_walked(walked):
    assert not walked.unknown, "the walker cannot fill these URL patterns: " + ", ".join(walked.unknown)


def test_nothing_outside_the_roles_duty_shows_and_hidden_records_answer_404(walked):
    assert not walked.problems, f"{len(walked.problems)} leaks:\n" + "\n".join(walked.problems[:60])


def test_every_record_a_role_may_see_shows_up_for_it(world, walked):
    """The walk cannot pass by showing nothing: each role met every record it may see, on a staff page."""
    missing = []
    for role in world["roles"]:
        met = {owner for context, owner in walked.seen[role.key] if context == "staff"}
        for model, pks in role.staff.items():
            not_met = sorted(pk for pk in pks if (model, pk) not in met)
            if not_met:
                missing.append(f"{role.key}: {model.__name__} {not_met[:8]}{' …' if len(not_met) > 8 else ''}")
    assert not missing, "records the role may see but never met:\n" + "\n".join(missing)


def test_every_published_record_shows_on_the_public_site(world, walked):
    met = {owner for context, owner in walked.seen["anonymous"] if context == "public"}
    missing = {f"{m.__name__} {pk}" for m, pks in world["published"].items() for pk in pks
               if (m, pk) not in met and m not in (Filing, StarRating, ListEntry)}
    assert not missing, sorted(missing)


def test_complainants_are_seen_by_their_handlers(world, walked):
    """Each complainant was seen by the departments handling the complaint (so the identity check is not vacuous)."""
    handlers = [r for r in world["roles"] if r.identities]
    assert {r.key for r in handlers} >= {"civil_heping", "civil_hexi"}
    for role in handlers:
        assert role.identities <= walked.seen_identities[role.key], role.key
