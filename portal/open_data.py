"""Open data (开放数据): every public page's rows as a downloadable dataset, CSV and JSON, keyed by 统一社会信用代码.

Each dataset reads the very selector its public page reads (the disclosure rule of its app) and publishes only
the columns that page shows. Nothing here queries a model afresh: what a dataset can hold is what its page can
show. The data dictionary below is the published description of every column.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.views import catalog_queryset, label_duty
from credit.selectors import public_list_entries
from inspections.selectors import public_draw_assignments, public_results
from inspections.services.findings import supervised_cases_public
from institutions.selectors import public_institutions
from institutions.services.records import leads_public

DUTY_SOURCE = Path(settings.BASE_DIR) / "agencies" / "data" / "duties.csv"


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header and JSON key: stable, ASCII
    label: str  # Chinese name of the column
    meaning: str  # what it holds (the data dictionary)
    value: Callable


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str
    description: str
    page: str  # url name of the public page whose rows this is
    rows: Callable  # () → the public page's queryset
    columns: tuple[Column, ...]
    modified_field: str | None  # newest value of this field = Last-Modified


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _team(assignment) -> str:
    # As the public draw page shows it: department and inspector number, never a name.
    members = []
    for inspector in assignment.inspectors.all():
        member = f"{inspector.department.name} · " + gettext("检查人员%(n)s号") % {"n": inspector.pk}
        members.append(member + (f"（{gettext('外聘专家')}）" if inspector.external else ""))
    return "；".join(members)


USCC = Column("uscc", _("统一社会信用代码"), _("机构的18位统一社会信用代码，各数据集之间的关联键"),
              lambda row: row.uscc)

DATASETS = (
    Dataset(
        "institutions", _("养老机构名录"), _("公开的养老机构：名称、性质、所在区、地址、床位、备案状态和星级。"),
        "public-institution-list", public_institutions,
        (USCC,
         Column("name", _("机构名称"), _("登记的机构名称"), lambda r: r.name),
         Column("legal_form", _("法人类型"), _("事业单位、民办非企业单位、企业等"),
                lambda r: r.get_legal_form_display()),
         Column("profit_nature", _("营利性质"), _("营利性或非营利性"), lambda r: r.get_profit_nature_display()),
         Column("district", _("所在区"), _("机构所在的区（或街道）"), lambda r: r.region.name),
         Column("address", _("地址"), _("机构的服务场所地址"), lambda r: r.address),
         Column("beds", _("床位数"), _("核定床位数"), lambda r: r.beds),
         Column("filing_status", _("备案状态"), _("已备案、待审核、退回补正或未备案"),
                lambda r: r.get_filing_status_display()),
         Column("star_level", _("星级"), _("等级评定的星级；未评定为空"), lambda r: r.star_level or "")),
        "updated_at"),
    Dataset(
        "unfiled-operators", _("未备案养老服务机构名单"),
        _("已发现正在从事养老服务但尚未备案、民政部门正在处置的经营者。"),
        "public-unfiled", leads_public,
        (Column("uscc", _("统一社会信用代码"), _("已登记的经营者的统一社会信用代码；未登记的为空"), lambda r: r.uscc),
         Column("name", _("经营者名称"), _("经营者名称"), lambda r: r.operator_name),
         Column("district", _("所在区"), _("经营场所所在的区"), lambda r: r.region.name),
         Column("address", _("地址"), _("经营场所地址"), lambda r: r.address),
         Column("state", _("状态"), _("处置进展"), lambda r: r.get_state_display())),
        "created_at"),
    Dataset(
        "inspection-results", _("监督检查结果"),
        _("依法公开的监督检查结果：检查对象、检查部门、检查事项数和发现的问题隐患数。"),
        "public-inspection-results", public_results,
        (Column("id", _("结果编号"), _("公开检查结果的编号，对应网页 /public/inspection-results/编号/"),
               lambda r: r.pk),
         Column("uscc", _("统一社会信用代码"), _("被检查机构的统一社会信用代码"), lambda r: r.institution.uscc),
         Column("institution", _("机构名称"), _("被检查机构"), lambda r: r.institution.name),
         Column("district", _("所在区"), _("被检查机构所在的区"), lambda r: r.institution.region.name),
         Column("kind", _("检查类型"), _("双随机抽查、专项检查、投诉核查等"), lambda r: r.get_kind_display()),
         Column("departments", _("检查部门"), _("参加检查的部门，以“；”分隔"),
                lambda r: "；".join(d.name for d in r.departments.all())),
         Column("completed_on", _("检查完成日期"), _("YYYY-MM-DD"), lambda r: _date(r.completed_at)),
         Column("published_on", _("公开日期"), _("YYYY-MM-DD"), lambda r: _date(r.published_at)),
         Column("items", _("检查事项数"), _("本次检查的事项数"), lambda r: r.item_count),
         Column("findings", _("问题隐患数"), _("发现的问题隐患总数"), lambda r: r.finding_count),
         Column("major_findings", _("重大隐患数"), _("其中重大隐患数"), lambda r: r.major_count),
         Column("summary", _("结果摘要"), _("检查部门公开的结果摘要"), lambda r: r.public_summary)),
        "published_at"),
    Dataset(
        "supervised-hazards", _("重大隐患挂牌督办名单"),
        _("正由属地政府挂牌督办整改的重大隐患；整改验收销号后即从名单移除。"),
        "public-supervised-cases", supervised_cases_public,
        (Column("uscc", _("统一社会信用代码"), _("存在重大隐患的机构"), lambda r: r.institution.uscc),
         Column("institution", _("机构名称"), _("存在重大隐患的机构"), lambda r: r.institution.name),
         Column("district", _("所在区"), _("机构所在的区"), lambda r: r.institution.region.name),
         Column("hazard_domain", _("隐患类别"), _("隐患所属的监管领域"), lambda r: r.domain.name),
         Column("severity", _("严重程度"), _("隐患等级"), lambda r: r.finding.get_severity_display()),
         Column("supervising_department", _("督办单位"), _("挂牌督办的单位"), lambda r: r.supervising_department.name),
         Column("listed_on", _("挂牌日期"), _("YYYY-MM-DD"), lambda r: _date(r.listed_on)),
         Column("deadline", _("整改期限"), _("YYYY-MM-DD"), lambda r: _date(r.deadline))),
        "listed_on"),
    Dataset(
        "credit-lists", _("信用名单"), _("公示中的失信联合惩戒对象名单、重点关注名单和红名单（民发〔2019〕103号）。"),
        "public-credit-lists", public_list_entries,
        (Column("uscc", _("统一社会信用代码"), _("列入名单的机构"), lambda r: r.institution.uscc),
         Column("institution", _("机构名称"), _("列入名单的机构"), lambda r: r.institution.name),
         Column("list", _("名单"), _("失信联合惩戒对象名单、重点关注名单或红名单"),
                lambda r: r.get_list_kind_display()),
         Column("ground", _("列入事由"), _("列入名单的情形"), lambda r: r.ground_label),
         Column("legal_basis", _("依据"), _("列入的法律法规或政策依据"), lambda r: r.legal_basis),
         Column("department", _("列入部门"), _("作出列入决定的部门"), lambda r: r.department.name),
         Column("published_on", _("公布日期"), _("YYYY-MM-DD"), lambda r: _date(r.published_on)),
         Column("listed_until", _("列入期限至"), _("YYYY-MM-DD；期满自动移出"), lambda r: _date(r.listed_until))),
        "published_on"),
    Dataset(
        "draw-results", _("双随机抽取结果"), _("已抽取的双随机抽查：抽中的机构和检查组（部门和检查人员编号）。"),
        "public-draw-list", public_draw_assignments,
        (Column("plan", _("抽查计划"), _("公布的抽查计划"), lambda r: r.draw.plan.title),
         Column("year", _("年度"), _("计划年度"), lambda r: r.draw.plan.year),
         Column("draw", _("抽取轮次"), _("计划内第几轮抽取"), lambda r: r.draw.number),
         Column("drawn_on", _("抽取日期"), _("YYYY-MM-DD"), lambda r: _date(r.draw.executed_at)),
         Column("position", _("抽中顺序"), _("抽中的先后顺序，从1起"), lambda r: r.position),
         Column("uscc", _("统一社会信用代码"), _("抽中的机构"), lambda r: r.institution.uscc),
         Column("institution", _("机构名称"), _("抽中的机构"), lambda r: r.institution.name),
         Column("team", _("检查组"), _("部门和检查人员编号，以“；”分隔（不公开姓名）"), _team)),
        "draw__executed_at"),
    Dataset(
        "duty-catalog", _("监管职责清单"), _("养老服务综合监管的职责清单：任务原文、责任单位、监管领域和监管措施。"),
        "public-duty-catalog", catalog_queryset,
        (Column("reference", _("编号"), _("来源文件和任务编号"), lambda r: r.reference),
         Column("requirement", _("要求"), _("要求或主要任务"), lambda r: r.requirement),
         Column("text", _("任务原文"), _("政策文件中的任务原文"), lambda r: r.text),
         Column("responsible_units", _("责任单位"), _("原文列明的责任单位"), lambda r: r.responsible_units),
         Column("domains", _("监管领域"), _("以“；”分隔"), lambda r: "；".join(d.name for d in r.domains.all())),
         Column("actions", _("监管措施"), _("以“；”分隔"),
                lambda r: "；".join(str(a) for a in label_duty(r).action_labels)),
         Column("conditions", _("适用条件"), _("适用的机构情形，以“；”分隔；为空表示所有机构"),
                lambda r: "；".join(str(c) for c in label_duty(r).condition_labels))),
        None),
)
BY_SLUG = {d.slug: d for d in DATASETS}


@dataclass
class DatasetSummary:
    dataset: Dataset
    count: int
    last_modified: dt.datetime | None


def _as_datetime(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return timezone.make_aware(dt.datetime.combine(value, dt.time.min))


def summarise(dataset: Dataset) -> DatasetSummary:
    """Row count and last change in one query (the home page and the open-data page show them for all)."""
    aggregates = {"n": Count("pk")}
    if dataset.modified_field:
        aggregates["last"] = Max(dataset.modified_field)
    values = dataset.rows().order_by().aggregate(**aggregates)
    last = _as_datetime(values.get("last")) if dataset.modified_field else _catalog_modified()
    return DatasetSummary(dataset, values["n"], last)


def _catalog_modified() -> dt.datetime | None:
    # The catalog is loaded from the reference file (load_reference); its time is the catalog's.
    try:
        return dt.datetime.fromtimestamp(DUTY_SOURCE.stat().st_mtime, tz=dt.UTC)
    except OSError:
        return None


def rows_of(dataset: Dataset):
    """The dataset's rows as lists of values, streamed from the database in chunks."""
    for obj in dataset.rows().iterator(chunk_size=500):
        yield [column.value(obj) for column in dataset.columns]
