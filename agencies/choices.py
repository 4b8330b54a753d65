from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Action(models.TextChoices):
    """What a duty lets a department do to a regulated record (DESIGN §3)."""

    VIEW = "view", _("查看")
    # The verb; the noun 检查 (an inspection) is a separate msgid with its own English.
    INSPECT = "inspect", pgettext_lazy("action", "检查")
    RECORD_FINDING = "record_finding", _("记录问题")
    VERIFY_RECTIFICATION = "verify_rectification", _("整改验收")
    ACCEPT_REFERRAL = "accept_referral", _("接收移送")
    HANDLE_COMPLAINT = "handle_complaint", _("办理投诉")
    RECORD_PENALTY = "record_penalty", _("记录处罚")
    PROPOSE_LIST_ENTRY = "propose_list_entry", _("提请列入名单")
    REVIEW_FILING = "review_filing", _("审核备案")


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道（乡镇）")


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("市级")
    DISTRICT = "district", _("区级")


class StaffRole(models.TextChoices):
    STAFF = "staff", _("工作人员")
    INSPECTOR = "inspector", _("执法检查人员")
    LEADER = "leader", _("领导（只读）")
    ADMIN = "admin", _("部门管理员")


class InstitutionFact(models.TextChoices):
    """Institution facts that conditional duties read (`applies_if` in the duty catalog).

    Each fact is one bit of `Institution.facts`; regulated records carry a copy of that integer so that a
    conditional scope is a bit test on the record's own row, not a join.
    """

    HAS_INTERNAL_MEDICAL_FACILITY = "has_internal_medical_facility", _("内设医疗机构")
    MEDICAL_INSURANCE_DESIGNATED = "medical_insurance_designated", _("医保定点")
    PROVIDES_MEALS = "provides_meals", _("设有食堂/老年餐桌")
    HAS_SPECIAL_EQUIPMENT = "has_special_equipment", _("有电梯、气瓶、压力容器等特种设备")
    RECEIVES_GOVERNMENT_FUNDS = "receives_government_funds", _("享受补贴或政府购买服务")
    ELDERCARE_FACILITY_LAND = "eldercare_facility_land", _("使用养老服务设施用地")
    NONPROFIT_ON_ALLOCATED_LAND = "nonprofit_on_allocated_land", _("非营利机构使用划拨土地")
    UNREGISTERED = "unregistered", _("未登记/无证无照经营")
    REGISTERED_NOT_FILED = "registered_not_filed", _("已登记未备案")
    HOME_COMMUNITY_SERVICE = "home_community_service", _("居家社区养老服务机构/设施")
    MEDICAL_INSTITUTION_PROVIDING_ELDERCARE = "medical_institution_providing_eldercare", _("医疗卫生机构提供养老服务")
    MAJOR_FIRE_HAZARD = "major_fire_hazard", _("存在重大火灾隐患")


FACT_BITS = {fact.value: 1 << i for i, fact in enumerate(InstitutionFact)}


def facts_mask(slugs) -> int:
    mask = 0
    for slug in slugs:
        mask |= FACT_BITS[slug]
    return mask


def action_permissions(model_name: str) -> list[tuple[str, str]]:
    """Meta.permissions for a regulated model: one permission per action beyond Django's own `view_`."""
    return [(f"{action}_{model_name}", f"Can {action} {model_name}") for action in Action.values
            if action != Action.VIEW]


class JobState(models.TextChoices):
    """A background job's life (agencies.jobs): queued until a worker takes it, then running, then one end."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class OutboxState(models.TextChoices):
    """An outbox message's life (agencies.outbox): pending until delivered once, or given up after the bound."""

    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


JOB_TRANSITIONS = {
    JobState.QUEUED: {JobState.RUNNING, JobState.FAILED},  # failed without running: the task could not start
    JobState.RUNNING: {JobState.DONE, JobState.FAILED},
    JobState.DONE: set(),
    JobState.FAILED: set(),
}
JOB_FINISHED_STATES = (JobState.DONE, JobState.FAILED)
