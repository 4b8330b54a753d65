"""Seed 004's 养老服务监管效能评估表, filled from the dashboard (issue 7 part 3).

The form's 44 rows (number, first-level indicator, indicator, policy basis) are transcribed in
`portal/data/evaluation_form_004.csv`, in the seed's order; the seed gives no 分值 (points) column, so there is
none. Rows the data can answer get a value, the period, a sentence for "已完成情况及佐证材料" and the evidence —
record counts with links to the portal's list pages; the others are left blank for the bureau to fill in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dashboard import Dashboard, verify_working_days

FORM_CSV = Path(__file__).resolve().parent / "data" / "evaluation_form_004.csv"
# The seed's own column heads, kept verbatim: the province receives this form in Chinese whatever the UI language.
COLUMNS = ["一级指标", "二级指标", "已完成情况及佐证材料", "未完成说明", "政策依据和任务来源"]


@dataclass(frozen=True)
class FormRow:
    number: str
    group: str
    indicator: str
    basis: str


@cache
def form_rows() -> tuple[FormRow, ...]:
    with FORM_CSV.open(encoding="utf-8") as f:
        return tuple(FormRow(**row) for row in csv.DictReader(f))


@dataclass(frozen=True)
class Evidence:
    label: str
    count: int
    url: str  # a path on the portal (the export makes it absolute); "" where no list page shows these records


@dataclass(frozen=True)
class Answer:
    """What the data says for one row: a value (a count or a share between 0 and 1), a sentence, the evidence."""

    value: float | int | None
    is_share: bool
    text: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class FilledRow:
    row: FormRow
    answer: Answer | None

    @property
    def title(self):
        return TITLES.get(self.row.number, "")


def _url(name: str, **query) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _district(board: Dashboard) -> str:
    """The district filter the list pages understand (empty for the whole city)."""
    return "" if board.jurisdiction.is_city else board.jurisdiction.prefix


def _answer_2_5(b: Dashboard) -> Answer:
    o = b.onsite
    return Answer(o.share, True, _("期内到期的备案现场检查 %(due)d 件，20个工作日内完成 %(on)d 件（%(pct)s），"
                                   "超期完成 %(late)d 件，超期未检查 %(missing)d 件；未到期待检查 %(pending)d 件。") % {
        "due": o.due, "on": o.on_time, "pct": _pct(o.share), "late": o.late, "missing": o.missing,
        "pending": o.pending},
        (Evidence(_("备案现场核查"), o.due + o.pending, _url("filing-onsite-list")),))


def _answer_2_6(b: Dashboard) -> Answer:
    o = b.leads
    text = _("期内到期的未备案机构线索 %(due)d 条，发现之日起20个工作日内现场检查 %(on)d 条（%(pct)s），"
             "超期检查 %(late)d 条，超期未检查 %(missing)d 条；未到期 %(pending)d 条。")
    return Answer(o.share, True, text % {
        "due": o.due, "on": o.on_time, "pct": _pct(o.share), "late": o.late, "missing": o.missing,
        "pending": o.pending},
        (Evidence(_("未备案/无证经营线索"), o.due + o.pending, _url("records-lead-list")),))


def _answer_3_5(b: Dashboard) -> Answer:
    return Answer(b.inspected_share, True, _("在营养老机构 %(total)d 家，本年度已完成现场检查 %(done)d 家（%(pct)s），"
                                             "尚未检查 %(left)d 家。") % {
        "total": b.operating, "done": b.inspected, "pct": _pct(b.inspected_share), "left": b.operating - b.inspected},
        (Evidence(_("年度检查覆盖"), b.operating, _url("inspection-coverage", district=_district(b))),
         Evidence(_("已完成的检查"), sum(m.inspections for m in b.months), _url("inspection-list", state="completed"))))


def _answer_4_1(b: Dashboard) -> Answer:
    h = b.hazards
    domains = "、".join(f"{name} {found}" for name, found, _rectified in h.by_domain) or "—"
    text = _("期内排查发现问题隐患 %(found)d 项（其中重大隐患 %(major)d 项），已整改销号 %(closed)d 项"
             "（%(pct)s，按期 %(on)d 项），逾期未整改 %(overdue)d 项。按领域：%(domains)s。")
    return Answer(h.found, False, text % {
        "found": h.found, "major": h.major, "closed": h.rectified, "pct": _pct(h.rectified_share),
        "on": h.rectified_on_time, "overdue": h.overdue, "domains": domains},
        (Evidence(_("问题隐患"), h.found, _url("finding-list", region=b.jurisdiction.prefix)),
         Evidence(_("整改清单"), h.found - h.rectified,
                  reverse("finding-lists", args=["rectification"]) + (
                      f"?district={_district(b)}" if _district(b) else ""))))


def _answer_4_2(b: Dashboard) -> Answer:
    e = b.enforcement
    return Answer(e.total, False, _("期内行政处罚 %(pen)d 件，行政强制 %(comp)d 件，责令停业整顿 %(susp)d 件。") % {
        "pen": e.penalties, "comp": e.compulsory, "susp": e.suspensions},
        # Credit events have no list page of their own (each institution's credit page shows its events).
        (Evidence(_("信用记录（行政处罚、行政强制）"), e.penalties + e.compulsory, ""),
         Evidence(_("责令停业整顿"), e.suspensions, _url("suspension-order-list"))))


def _answer_4_3(b: Dashboard) -> Answer:
    s = b.lists
    return Answer(s.black_published, False, _("期内在本平台公布失信联合惩戒对象 %(pub)d 家，期末仍在名单上 %(now)d 家；"
                                              "另公布重点关注名单 %(watch)d 家、红名单 %(red)d 家。") % {
        "pub": s.black_published, "now": s.black_in_force, "watch": s.watch_published, "red": s.red_published},
        (Evidence(_("信用名单（已公布）"), s.black_published, _url("credit-entry-list", state="published")),
         Evidence(_("公开的信用名单"), s.black_in_force, _url("public-credit-lists"))))


def _answer_4_5(b: Dashboard) -> Answer:
    text = _("在营养老机构 %(total)d 家，等级评定在有效期内的 %(rated)d 家，覆盖率 %(pct)s。")
    return Answer(b.rated_share, True, text % {
        "total": b.operating, "rated": b.rated, "pct": _pct(b.rated_share)},
        (Evidence(_("等级评定"), b.rated, _url("records-rating-list")),))


def _answer_4_12(b: Dashboard) -> Answer:
    f = b.filings
    return Answer(f.approved, False, _("期内受理备案申请 %(sub)d 件，办结备案 %(ok)d 件，退回补正 %(ret)d 件"
                                       "（备案办理指南等公开情况请另行填写）。") % {
        "sub": f.submitted, "ok": f.approved, "ret": f.returned},
        (Evidence(_("备案审核"), f.submitted, _url("filing-queue")),))


def _answer_4_13(b: Dashboard) -> Answer:
    filed = b.total("filed")
    return Answer(filed, False, _("公开备案信息的养老机构 %(filed)d 家，公开等级评定结果 %(rated)d 家，"
                                  "公开行政处罚决定 %(pen)d 件。") % {
        "filed": filed, "rated": b.rated, "pen": b.enforcement.public_penalties},
        (Evidence(_("养老机构查询（公开）"), filed, _url("public-institution-list")),
         Evidence(_("等级评定"), b.rated, _url("records-rating-list"))))


def _answer_4_14(b: Dashboard) -> Answer:
    services, fees, both = b.total("service_items"), b.total("fees"), b.total("services_and_fees")
    text = _("在营养老机构 %(total)d 家，公开服务项目 %(s)d 家，公开收费标准 %(f)d 家，两项均公开 %(both)d 家。")
    return Answer(both, False, text % {"total": b.operating, "s": services, "f": fees, "both": both},
        (Evidence(_("养老机构查询（公开）"), services, _url("public-institution-list")),
         Evidence(_("信息公开逾期未更新"), b.operating, _url("records-disclosure-stale"))))


# Short card titles on the dashboard; the full indicator text of the seed is shown beneath each.
TITLES = {
    "2.5": gettext_lazy("备案后20个工作日内现场检查"),
    "2.6": gettext_lazy("发现未备案机构后20个工作日内现场检查"),
    "3.5": gettext_lazy("年度现场检查覆盖"),
    "4.1": gettext_lazy("安全隐患排查整治"),
    "4.2": gettext_lazy("行政处罚、行政强制"),
    "4.3": gettext_lazy("发布联合惩戒对象名单"),
    "4.5": gettext_lazy("等级评定覆盖率"),
    "4.12": gettext_lazy("养老服务业务办理"),
    "4.13": gettext_lazy("行业管理信息公开"),
    "4.14": gettext_lazy("服务质量信息公开"),
}

ANSWERS = {"2.5": _answer_2_5, "2.6": _answer_2_6, "3.5": _answer_3_5, "4.1": _answer_4_1, "4.2": _answer_4_2,
           "4.3": _answer_4_3, "4.5": _answer_4_5, "4.12": _answer_4_12, "4.13": _answer_4_13, "4.14": _answer_4_14}


def fill(board: Dashboard) -> list[FilledRow]:
    return [FilledRow(row, ANSWERS[row.number](board) if row.number in ANSWERS else None) for row in form_rows()]


def workbook(board: Dashboard, absolute=lambda path: path, generated_on=None) -> bytes:
    """The form as an .xlsx sheet: the seed's five columns in its order, then 统计期间, 数据值 and 佐证记录."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "养老服务监管效能评估表"
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append(["养老服务监管效能评估表"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["县(区):", board.jurisdiction.name])
    ws.append(["联系人:", ""])
    ws.append(["时间:", f"{generated_on or board.period.today:%Y年%m月%d日}"])
    ws.append(["统计期间:", board.period.label,
               _("本表由养老服务综合监管平台按数据生成；空白行为数据无法回答的指标，请人工填写。"
                 "整改验收期限按提交后%(n)d个工作日计。") % {"n": verify_working_days()}])
    header = [*COLUMNS, _("统计期间"), _("数据值"), _("佐证记录（条数及链接）")]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    last_group = None
    for filled in fill(board):
        row, answer = filled.row, filled.answer
        group = row.group if row.group != last_group else ""
        last_group = row.group
        if answer is None:
            ws.append([group, f"{row.number} {row.indicator}", "", "", row.basis, "", None, ""])
            continue
        evidence = "\n".join(f"{e.label}：{e.count} 条" + (f" {absolute(e.url)}" if e.url else "")
                             for e in answer.evidence)
        ws.append([group, f"{row.number} {row.indicator}", answer.text, "", row.basis, board.period.label,
                   answer.value, evidence])
        value_cell, evidence_cell = ws.cell(ws.max_row, 7), ws.cell(ws.max_row, 8)
        if answer.is_share:
            value_cell.number_format = "0.0%"
        linked = [e for e in answer.evidence if e.url]
        if linked:
            evidence_cell.hyperlink = absolute(linked[0].url)
    for col, width in zip("ABCDEFGH", (14, 60, 50, 20, 40, 24, 10, 60), strict=True):
        ws.column_dimensions[col].width = width
    for cells in ws.iter_rows(min_row=7):
        for cell in cells:
            cell.alignment = wrap
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
