from django.db import models
from django.utils.translation import gettext_lazy as _

# Maintained on the institution by credit (a lower app), read here by the draw.
from institutions.choices import CreditList as ListKind
from institutions.choices import RiskLevel


class ChecklistCategory(models.TextChoices):
    KEY = "key", _("重点检查事项")
    GENERAL = "general", _("一般检查事项")


class Confidence(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


# state → the states a plan may move to. A published plan is the public commitment the draws are made
# against, so it never goes back to draft.
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanState.DRAFT: frozenset({PlanState.PUBLISHED}),
    PlanState.PUBLISHED: frozenset(),
}




NEUTRAL_RISK_MULTIPLIERS = {RiskLevel.LOW.value: 1.0, RiskLevel.MEDIUM.value: 1.0, RiskLevel.HIGH.value: 1.0}
NEUTRAL_LIST_MULTIPLIERS = {ListKind.WATCH.value: 1.0, ListKind.BLACK.value: 1.0, ListKind.RED.value: 1.0}


def neutral_risk_multipliers() -> dict:
    return dict(NEUTRAL_RISK_MULTIPLIERS)


def neutral_list_multipliers() -> dict:
    return dict(NEUTRAL_LIST_MULTIPLIERS)


# ------------------------------------------------------------------------------------------- inspections


class InspectionKind(models.TextChoices):
    """《养老机构行政检查办法》(2023): routine (planned, from a draw) and special inspections are announced 3 working
    days ahead; case inspections (from a complaint, a lead or a referral) are unannounced."""

    PLANNED = "planned", _("日常检查（双随机）")
    SPECIAL = "special", _("专项检查")
    CASE = "case", _("案件检查")


ANNOUNCED_KINDS = frozenset({InspectionKind.PLANNED, InspectionKind.SPECIAL})
NOTICE_WORKING_DAYS = 3


class InspectionState(models.TextChoices):
    SCHEDULED = "scheduled", _("待通知")
    NOTIFIED = "notified", _("已通知")
    IN_PROGRESS = "in_progress", _("检查中")
    COMPLETED = "completed", _("已完成")
    PUBLISHED = "published", _("已公开")
    CANCELLED = "cancelled", _("已取消")


# A case inspection is unannounced: it goes from scheduled straight to in progress.
INSPECTION_TRANSITIONS: dict[str, frozenset[str]] = {
    InspectionState.SCHEDULED: frozenset({InspectionState.NOTIFIED, InspectionState.IN_PROGRESS,
                                          InspectionState.CANCELLED}),
    InspectionState.NOTIFIED: frozenset({InspectionState.IN_PROGRESS, InspectionState.CANCELLED}),
    InspectionState.IN_PROGRESS: frozenset({InspectionState.COMPLETED}),
    InspectionState.COMPLETED: frozenset({InspectionState.PUBLISHED}),
    InspectionState.PUBLISHED: frozenset(),
    InspectionState.CANCELLED: frozenset(),
}


class ItemResultValue(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class Severity(models.TextChoices):
    """MCA 2023 major-hazard criteria (养老机构重大事故隐患判定标准) decide 重大; everything else is 一般."""

    GENERAL = "general", _("一般隐患")
    MAJOR = "major", _("重大隐患")


class FindingState(models.TextChoices):
    OPEN = "open", _("待整改")
    SUBMITTED = "submitted", _("整改待验收")
    RETURNED = "returned", _("验收退回")
    CLOSED = "closed", _("已整改销号")


FINDING_TRANSITIONS: dict[str, frozenset[str]] = {
    FindingState.OPEN: frozenset({FindingState.SUBMITTED}),
    FindingState.SUBMITTED: frozenset({FindingState.CLOSED, FindingState.RETURNED}),
    FindingState.RETURNED: frozenset({FindingState.SUBMITTED}),
    FindingState.CLOSED: frozenset(),
}

# Unresolved findings: what the rectification list (整改清单) and the overdue scan look at.
UNRESOLVED_FINDING_STATES = frozenset({FindingState.OPEN, FindingState.SUBMITTED, FindingState.RETURNED})


class RectificationDecision(models.TextChoices):
    PENDING = "pending", _("待验收")
    ACCEPTED = "accepted", _("验收通过")
    RETURNED = "returned", _("退回重改")


class ReferralKind(models.TextChoices):
    TRANSFER = "transfer", _("移送")
    NOTIFY = "notify", _("抄告")


class ReferralState(models.TextChoices):
    SENT = "sent", _("已移送待接收")
    ACCEPTED = "accepted", _("已接收办理中")
    ANSWERED = "answered", _("已反馈")
    DECLINED = "declined", _("退回")


REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.SENT: frozenset({ReferralState.ACCEPTED, ReferralState.DECLINED}),
    ReferralState.ACCEPTED: frozenset({ReferralState.ANSWERED}),
    ReferralState.ANSWERED: frozenset(),
    ReferralState.DECLINED: frozenset(),
}
# Seed 002 一(四): a matter outside one's duty goes to the competent department within 7 working days.
REFERRAL_WORKING_DAYS = 7


class SupervisedCaseState(models.TextChoices):
    OPEN = "open", _("督办中")
    LIFTED = "lifted", _("已销号")


SUPERVISED_CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    SupervisedCaseState.OPEN: frozenset({SupervisedCaseState.LIFTED}),
    SupervisedCaseState.LIFTED: frozenset(),
}


class SuspensionState(models.TextChoices):
    # The overdue scan only proposes (拟): ordering a suspension is the verifying department's decision.
    PROPOSED = "proposed", _("拟责令停业整顿（待决定）")
    IN_FORCE = "in_force", _("停业整顿中")
    LIFTED = "lifted", _("已解除")
    WITHDRAWN = "withdrawn", _("不予停业整顿")


SUSPENSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SuspensionState.PROPOSED: frozenset({SuspensionState.IN_FORCE, SuspensionState.WITHDRAWN}),
    SuspensionState.IN_FORCE: frozenset({SuspensionState.LIFTED}),
    SuspensionState.LIFTED: frozenset(),
    SuspensionState.WITHDRAWN: frozenset(),
}


class DrawState(models.TextChoices):
    COMMITTED = "committed", _("已公布承诺")
    EXECUTED = "executed", _("已抽取并公开种子")


# state → the states a draw may move to. A committed draw must be executed (it cannot be withdrawn and
# committed again with another seed: that would let the organiser pick among outcomes), and an executed draw
# is final.
DRAW_TRANSITIONS: dict[str, frozenset[str]] = {
    DrawState.COMMITTED: frozenset({DrawState.EXECUTED}),
    DrawState.EXECUTED: frozenset(),
}

# Overdue rectification (seed 002 三(一), seed 001 row 2: 逾期不整改的，依法责令停业整顿): a reminder the first
# working day after the deadline, escalation this many working days later (settings.FINDING_ESCALATION_WORKING_DAYS
# overrides it).
ESCALATION_WORKING_DAYS = 10
# A supervised case's deadline when the scan opens one (the supervising government may set another).
SUPERVISED_CASE_WORKING_DAYS = 30
# The receiver's answer to a referral (seed 002 二(二)4: 及时通报…形成工作闭环 — no number in the seeds;
# settings.REFERRAL_ANSWER_WORKING_DAYS overrides it).
REFERRAL_ANSWER_WORKING_DAYS = 15
