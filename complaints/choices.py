"""Complaint categories, states and their transition table, outcomes, and the deadline defaults.

Deadline defaults come from issue 5 ("urgent: acknowledged within 1 working day; others acknowledged within 5
and answered within 30"), which is also the answer period of 信访工作条例 art. 32 for matters handled directly
(30 days). They may be overridden with the COMPLAINT_DEADLINES setting.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    SERVICE_QUALITY = "service_quality", _("服务质量")
    ABUSE = "abuse", _("欺老虐老")
    FEES = "fees", _("收费")
    FOOD = "food", _("食品安全")
    FIRE = "fire", _("消防隐患")
    MEDICAL = "medical", _("医疗")
    FUNDRAISING = "fundraising", _("非法集资/诈骗")
    UNLICENSED = "unlicensed", _("无证无照经营")
    BUILDING = "building", _("房屋建筑安全")
    EQUIPMENT = "equipment", _("电梯等特种设备")
    MEDICAL_INSURANCE = "medical_insurance", _("医保基金")
    OTHER = "other", _("其他")


# Category → the supervision domain (agencies/data/domains.csv) whose duties decide who handles it.
CATEGORY_DOMAINS = {
    Category.SERVICE_QUALITY: "service_safety",
    Category.ABUSE: "operations_order",  # domains.csv: 欺老虐老及向老年人欺诈销售
    Category.FEES: "pricing_advertising",
    Category.FOOD: "food_safety",
    Category.FIRE: "fire_safety",
    Category.MEDICAL: "medical_health",
    Category.FUNDRAISING: "funds",  # domains.csv: 以养老服务为名的非法集资与诈骗
    Category.UNLICENSED: "registration_filing",
    Category.BUILDING: "building_safety",
    Category.EQUIPMENT: "special_equipment",
    Category.MEDICAL_INSURANCE: "medical_insurance",
    Category.OTHER: "complaints",
}
# The record's own access domain: every complaint lies in 投诉举报与社会监督 (seed 000 task 26).
ACCESS_DOMAIN = "complaints"


class Priority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    NORMAL = "normal", _("一般")


# Issue 5: abuse/neglect, fire hazard, food poisoning and illegal fundraising are urgent.
URGENT_CATEGORIES = {Category.ABUSE, Category.FIRE, Category.FOOD, Category.FUNDRAISING}

DEFAULT_DEADLINES = {
    # priority → (acknowledge within, answer within), in working days (agencies.calendar).
    Priority.URGENT: (1, 30),
    Priority.NORMAL: (5, 30),
}
# A reminder goes to the handling department this many working days before the answer is due.
REMINDER_WORKING_DAYS = 3


def deadlines_for(priority: str) -> tuple[int, int]:
    configured = getattr(settings, "COMPLAINT_DEADLINES", {}) or {}
    return tuple(configured.get(priority, DEFAULT_DEADLINES[Priority(priority)]))


class ComplaintState(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ROUTED = "routed", _("已转办，待签收")
    HANDLING = "handling", _("办理中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")
    MERGED = "merged", _("已合并（重复投诉）")
    DISMISSED = "dismissed", _("不予受理")


COMPLAINT_TRANSITIONS = {
    ComplaintState.SUBMITTED: {ComplaintState.ROUTED, ComplaintState.MERGED, ComplaintState.DISMISSED},
    # The intake bureau may take a routed complaint back and reassign it; a department may return it as not its own.
    ComplaintState.ROUTED: {ComplaintState.HANDLING, ComplaintState.SUBMITTED, ComplaintState.MERGED},
    ComplaintState.HANDLING: {ComplaintState.ANSWERED, ComplaintState.SUBMITTED},
    # New information from the complainant reopens an answered complaint.
    ComplaintState.ANSWERED: {ComplaintState.CLOSED, ComplaintState.HANDLING},
    ComplaintState.CLOSED: set(),
    ComplaintState.MERGED: set(),
    ComplaintState.DISMISSED: set(),
}
OPEN_STATES = (ComplaintState.SUBMITTED, ComplaintState.ROUTED, ComplaintState.HANDLING)


class Outcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    NOT_SUBSTANTIATED = "not_substantiated", _("不属实")
    OUTSIDE_REMIT = "outside_remit", _("不属本部门职责，已告知/移送")


SUBSTANTIATED_OUTCOMES = {Outcome.SUBSTANTIATED, Outcome.PARTLY}


class RoutingRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")


class Channel(models.TextChoices):
    WEB = "web", _("网上投诉")
    API = "api", _("接口")
    STAFF = "staff", _("工作人员登记（电话、来信、来访）")


class NoteKind(models.TextChoices):
    INFO = "info", _("投诉人补充")
    REPLY = "reply", _("答复")


class NotificationKind(models.TextChoices):
    RECEIVED = "received", _("新投诉待受理")
    ROUTED = "routed", _("投诉转办")
    INFO_ADDED = "info_added", _("投诉人补充材料")
    REMINDER = "reminder", _("即将到期提醒")
    ESCALATION = "escalation", _("逾期督办")
