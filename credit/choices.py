"""Choices and transition tables of the credit app (seed 002 二(三); 民发〔2019〕103号)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from institutions.choices import CreditList, RiskLevel  # noqa: F401  (the list kinds and risk levels live below)

# ------------------------------------------------------------------------------------------- credit events


class EventKind(models.TextChoices):
    PENALTY = "penalty", _("行政处罚")
    JUDGMENT = "judgment", _("司法裁判")
    COMPULSORY_MEASURE = "compulsory", _("行政强制")
    BROKEN_PLEDGE = "broken_pledge", _("违反信用承诺")
    SUBSTANTIATED_COMPLAINT = "complaint", _("投诉举报查实")
    SERIOUS_FINDING = "serious_finding", _("重大隐患")
    INSPECTION_REFUSED = "refusal", _("拒绝、阻碍监督检查")
    LATE_FILING = "late_filing", _("未按时限备案")
    HONOUR = "honour", _("表彰奖励")


class EventState(models.TextChoices):
    """An event recorded by a department is in force at once; one the system proposes (a broken pledge found by
    an inspection) waits for the finding department to confirm or dismiss it."""

    PROPOSED = "proposed", _("待确认")
    IN_FORCE = "in_force", _("已记录")
    DISMISSED = "dismissed", _("不予记录")


EVENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EventState.PROPOSED: frozenset({EventState.IN_FORCE, EventState.DISMISSED}),
    EventState.IN_FORCE: frozenset(),
    EventState.DISMISSED: frozenset(),
}


class PersonRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_rep", _("法定代表人")
    PERSON_IN_CHARGE = "in_charge", _("主要负责人")
    ACTUAL_CONTROLLER = "controller", _("实际控制人")
    STAFF = "staff", _("直接责任人员")


class Grade(models.TextChoices):
    A = "A", _("A级（诚信）")
    B = "B", _("B级（良好）")
    C = "C", _("C级（关注）")
    D = "D", _("D级（失信）")


# The first scoring model (weights, half-lives, thresholds) is reference data: credit/reference.py.
BASE_SCORE = 100

# ------------------------------------------------------------------------------------------------- lists

ListKind = CreditList


class ListState(models.TextChoices):
    PROPOSED = "proposed", _("拟列入")
    NOTIFIED = "notified", _("已告知（异议期）")
    OBJECTED = "objected", _("已提出异议")
    DECIDED = "decided", _("已决定列入")
    PUBLISHED = "published", _("已公布")
    EXPIRED = "expired", _("期满移出")
    REMOVED = "removed", _("提前移出")
    REPAIRED = "repaired", _("信用修复移出")
    REJECTED = "rejected", _("决定不予列入")
    WITHDRAWN = "withdrawn", _("撤回")


# 民发〔2019〕103号: the institution is told before it is listed and may state its case; the listing department
# decides only after that. The red list is an incentive and skips the notice.
_PUNITIVE = {
    ListState.PROPOSED: frozenset({ListState.NOTIFIED, ListState.WITHDRAWN}),
    ListState.NOTIFIED: frozenset({ListState.OBJECTED, ListState.DECIDED, ListState.REJECTED}),
    ListState.OBJECTED: frozenset({ListState.DECIDED, ListState.REJECTED}),
    ListState.DECIDED: frozenset({ListState.PUBLISHED}),
    ListState.PUBLISHED: frozenset({ListState.EXPIRED, ListState.REMOVED, ListState.REPAIRED}),
    ListState.EXPIRED: frozenset(), ListState.REMOVED: frozenset(), ListState.REPAIRED: frozenset(),
    ListState.REJECTED: frozenset(), ListState.WITHDRAWN: frozenset(),
}
_INCENTIVE = {
    ListState.PROPOSED: frozenset({ListState.DECIDED, ListState.REJECTED, ListState.WITHDRAWN}),
    ListState.DECIDED: frozenset({ListState.PUBLISHED}),
    ListState.PUBLISHED: frozenset({ListState.EXPIRED, ListState.REMOVED}),
    ListState.EXPIRED: frozenset(), ListState.REMOVED: frozenset(), ListState.REJECTED: frozenset(),
    ListState.WITHDRAWN: frozenset(), ListState.NOTIFIED: frozenset(), ListState.OBJECTED: frozenset(),
    ListState.REPAIRED: frozenset(),
}
LIST_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    ListKind.BLACK: _PUNITIVE, ListKind.WATCH: _PUNITIVE, ListKind.RED: _INCENTIVE,
}
OPEN_LIST_STATES = frozenset({ListState.PROPOSED, ListState.NOTIFIED, ListState.OBJECTED, ListState.DECIDED,
                              ListState.PUBLISHED})
ENDED_LIST_STATES = frozenset({ListState.EXPIRED, ListState.REMOVED, ListState.REPAIRED})

# Working days the institution has to state its case after the notice (陈述申辩/异议).
OBJECTION_WORKING_DAYS = 5
# How long a published entry stays listed, in years from publication (the blacklist's term under 103号 is
# three years; the watch and red lists are reviewed yearly).
LIST_TERM_YEARS = {ListKind.BLACK: 3, ListKind.WATCH: 1, ListKind.RED: 1}


class BlacklistGround(models.TextChoices):
    """Grounds for the 失信联合惩戒对象名单 (民发〔2019〕103号 第六条, and seed 002 二(三)3)."""

    ELDER_ABUSE = "elder_abuse", _("欺老、虐老等侵害老年人合法权益，受到行政处罚或刑事处罚")
    FALSE_MATERIALS = "false_materials", _("向监督检查机关隐瞒情况、提供虚假材料或拒绝提供真实材料，受到行政处罚")
    FUND_FRAUD = "fund_fraud", _("以欺诈、伪造等手段骗取、冒领或违规使用养老服务补贴等政府资金")
    FIRE_HAZARD_UNRECTIFIED = "fire_hazard", _("存在重大火灾隐患，经消防救援机构通知后拒不整改")
    ACCIDENT = "accident", _("对养老服务安全责任事故负有主要责任，受到行政处罚或刑事处罚")
    OBSTRUCTION = "obstruction", _("拒绝、阻碍监督检查，情节严重")
    UNLICENSED = "unlicensed", _("无证无照运营，拒不整改")
    COURT_JUDGMENT = "judgment", _("被人民法院判决承担责任，拒不履行生效裁判")


BLACKLIST_ARTICLES = {
    BlacklistGround.ELDER_ABUSE: "民发〔2019〕103号 第六条第（一）项",
    BlacklistGround.FALSE_MATERIALS: "民发〔2019〕103号 第六条第（二）项",
    BlacklistGround.FUND_FRAUD: "民发〔2019〕103号 第六条第（三）项",
    BlacklistGround.FIRE_HAZARD_UNRECTIFIED: "民发〔2019〕103号 第六条第（四）项",
    BlacklistGround.ACCIDENT: "民发〔2019〕103号 第六条第（五）项",
    BlacklistGround.OBSTRUCTION: "民发〔2019〕103号 第六条；002号文 二(三)3",
    BlacklistGround.UNLICENSED: "002号文 二(三)3（无证无照运营）",
    BlacklistGround.COURT_JUDGMENT: "民发〔2019〕103号 第六条",
}


class WatchGround(models.TextChoices):
    """Conditions of the 重点关注对象名单 (seed 002 二(三)3)."""

    NOT_COOPERATING = "not_cooperating", _("不配合、不接受监督检查")
    CONCEALMENT = "concealment", _("隐瞒真实情况、弄虚作假")
    RECTIFICATION_LATE = "rectification_late", _("安全隐患整改不及时、不到位")
    LATE_FILING = "late_filing", _("不按规定时限备案")
    ABNORMAL_OPERATION = "abnormal_operation", _("经营服务异常")
    MANY_COMPLAINTS = "many_complaints", _("投诉举报多")
    BAD_RECORDS = "bad_records", _("有失信行为、不良记录")


class RedGround(models.TextChoices):
    """Conditions of the 守信联合激励红名单 (seed 002 二(三)4)."""

    HIGH_CREDIT = "high_credit", _("行业信用高、服务质量优、群众反响好、社会效益强、运营风险低")


LIST_GROUND_BASIS = {
    ListKind.WATCH: "002号文 二(三)3",
    ListKind.RED: "002号文 二(三)4",
}

# Civil affairs decides the watch and red lists (seed 002 二(三)3–4: 民政部门要会同相关部门建立…名单制度).
CIVIL_AFFAIRS = "civil_affairs"
# Substantiated complaints within a year that make "投诉举报多".
MANY_COMPLAINTS_THRESHOLD = 3


def grounds_for(list_kind: str):
    return {ListKind.BLACK: BlacklistGround, ListKind.WATCH: WatchGround, ListKind.RED: RedGround}[list_kind]


def ground_label(list_kind: str, ground: str) -> str:
    choices = grounds_for(list_kind)
    return str(choices(ground).label) if ground in choices.values else ground


def ground_article(list_kind: str, ground: str) -> str:
    if list_kind == ListKind.BLACK:
        return BLACKLIST_ARTICLES.get(ground, "民发〔2019〕103号")
    return LIST_GROUND_BASIS[list_kind]


# ----------------------------------------------------------------------------------------------- repair


class RepairState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已同意修复")
    REJECTED = "rejected", _("不予修复")


REPAIR_TRANSITIONS: dict[str, frozenset[str]] = {
    RepairState.SUBMITTED: frozenset({RepairState.APPROVED, RepairState.REJECTED}),
    RepairState.APPROVED: frozenset(),
    RepairState.REJECTED: frozenset(),
}


class MeasureKind(models.TextChoices):
    PUNISHMENT = "punishment", _("联合惩戒措施")
    INCENTIVE = "incentive", _("联合激励措施")
