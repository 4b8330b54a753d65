"""The three lists (问题清单、整改清单、责任清单; seed 000 #3, seed 002 二(二)4) per institution, department and
district.

One column list per list serves the page and the Excel sheet alike, so the export is the page's rows in full.
Every row comes from `Finding.objects.restrict(user, "view")`; what a row shows of its supervised case comes from
`SupervisedCase.objects.restrict(...)` too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.choices import Action

from .choices import UNRESOLVED_FINDING_STATES, SupervisedCaseState
from .models import Finding, Rectification, SupervisedCase

PROBLEMS, RECTIFICATION, RESPONSIBILITY = "problems", "rectification", "responsibility"
TITLES = {
    PROBLEMS: gettext_lazy("问题清单"),
    RECTIFICATION: gettext_lazy("整改清单"),
    RESPONSIBILITY: gettext_lazy("责任清单"),
}
DESCRIPTIONS = {
    PROBLEMS: gettext_lazy("检查发现的全部问题隐患。"),
    RECTIFICATION: gettext_lazy("尚未整改销号的问题：整改期限、当前状态、是否逾期。"),
    RESPONSIBILITY: gettext_lazy("谁在什么期限前做什么：机构的整改措施、验收部门、督办单位。"),
}
EXPORT_LIMIT = 10000


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable  # finding -> cell value (str, int or date)


def _date(value):
    return value.isoformat() if value else ""


def _latest(finding):
    history = getattr(finding, "history", None)
    return history[0] if history else None


def _open_case(finding):
    cases = getattr(finding, "open_cases", None)
    return cases[0] if cases else None


def _overdue(finding, today):
    return bool(finding.rectification_due and finding.rectification_due < today
                and finding.state in UNRESOLVED_FINDING_STATES)


def columns(kind: str, today=None) -> list[Column]:
    today = today or timezone.localdate()
    number = Column(_("编号"), lambda f: f.pk)
    institution = Column(_("机构"), lambda f: f.institution.name)
    district = Column(_("所在区"), lambda f: f.institution.region.name)
    domain = Column(_("监管领域"), lambda f: f.domain.name)
    severity = Column(_("隐患等级"), lambda f: f.get_severity_display())
    text = Column(_("问题描述"), lambda f: f.text)
    state = Column(_("整改状态"), lambda f: f.get_state_display())
    due = Column(_("整改截止日期"), lambda f: _date(f.rectification_due))
    if kind == PROBLEMS:
        return [number, institution, district, domain, severity, text,
                Column(_("法律依据"), lambda f: f.basis),
                Column(_("发现部门"), lambda f: f.found_by.name if f.found_by_id else ""),
                Column(_("发现日期"), lambda f: _date(f.found_on or timezone.localdate(f.created_at))),
                state]
    if kind == RECTIFICATION:
        return [number, institution, district, domain, severity, text,
                Column(_("整改期限（工作日）"), lambda f: f.rectification_working_days or ""),
                due, state,
                Column(_("是否逾期"), lambda f: _("逾期") if _overdue(f, today) else _("否")),
                Column(_("最近提交"), lambda f: timezone.localtime(_latest(f).submitted_at).strftime("%Y-%m-%d %H:%M")
                       if _latest(f) else "")]
    if kind == RESPONSIBILITY:
        return [number, institution, district, text,
                Column(_("机构整改措施"), lambda f: _latest(f).measures if _latest(f) else _("待机构提交整改措施")),
                due,
                Column(_("验收部门"), lambda f: (f.verifying_department or f.found_by).name
                       if (f.verifying_department_id or f.found_by_id) else ""),
                Column(_("督办单位"), lambda f: _open_case(f).supervising_department.name if _open_case(f) else ""),
                Column(_("督办期限"), lambda f: _date(_open_case(f).deadline) if _open_case(f) else ""),
                state]
    raise ValueError(kind)


def list_queryset(user, kind: str, *, district=None, domain=None, department=None, institution=None):
    """The rows of one list as the user may see them, with what the columns read (a fixed number of queries)."""
    queryset = (Finding.objects.restrict(user, Action.VIEW)
                .select_related("institution__region", "domain", "found_by", "verifying_department")
                .prefetch_related(
                    Prefetch("rectifications", to_attr="history",
                             queryset=Rectification.objects.order_by("-submitted_at", "-id")),
                    Prefetch("supervised_cases", to_attr="open_cases",
                             queryset=SupervisedCase.objects.restrict(user, Action.VIEW)
                             .filter(state=SupervisedCaseState.OPEN).select_related("supervising_department"))))
    if kind != PROBLEMS:
        queryset = queryset.filter(state__in=UNRESOLVED_FINDING_STATES)
    if district is not None:
        queryset = queryset.filter(region_code__startswith=district.scope_code)
    if domain is not None:
        queryset = queryset.filter(domain=domain)
    if department is not None:
        queryset = queryset.filter(Q(found_by=department) | Q(verifying_department=department))
    if institution:
        queryset = queryset.filter(institution_id=institution)
    if kind == PROBLEMS:
        return queryset.order_by("-id")
    # The nearest deadline first; findings recorded without one (older records) after those that have one.
    return queryset.order_by(F("rectification_due").asc(nulls_last=True), "id")


def rows(findings, kind: str, today=None) -> list[list]:
    cols = columns(kind, today)
    return [[c.value(f) for c in cols] for f in findings]


def export_workbook(findings, kind: str, today=None) -> bytes:
    """The list as an .xlsx sheet: the same headers and cells as the page (the caller passes list_queryset())."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(TITLES[kind]))
    cols = columns(kind, today)
    ws.append([c.header for c in cols])
    for finding in findings[:EXPORT_LIMIT]:
        ws.append([c.value(finding) for c in cols])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
