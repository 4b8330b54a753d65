from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionStatus(models.TextChoices):
    OPERATING = "operating", _("正常运营")
    SUSPENDED = "suspended", _("停业整顿")
    CLOSED = "closed", _("已关闭")


class RiskLevel(models.TextChoices):
    """An institution's risk level (风险分级, seed 000 #13): credit writes it, the inspection draw reads it."""

    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")


class CreditList(models.TextChoices):
    """The credit list an institution stands on, if any (credit writes it, the draw reads it)."""

    WATCH = "watch", _("重点关注名单")
    BLACK = "black", _("失信联合惩戒对象名单")
    RED = "red", _("红名单")


class LegalForm(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SOCIAL_SERVICE = "social_service", _("社会服务机构（民办非企业单位）")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    INDIVIDUAL = "individual", _("个体工商户")
    OTHER = "other", _("其他")


class ProfitNature(models.TextChoices):
    NONPROFIT = "nonprofit", _("非营利性")
    PROFIT = "profit", _("营利性")


class FilingStatus(models.TextChoices):
    """Where an institution stands with its filing (备案), shown in the directory."""

    UNFILED = "unfiled", _("未备案")
    PENDING = "pending", _("备案审核中")
    RETURNED = "returned", _("退回补正")
    FILED = "filed", _("已备案")
    CANCELLED = "cancelled", _("已注销备案")


class FilingKind(models.TextChoices):
    INITIAL = "initial", _("备案")
    CHANGE = "change", _("变更备案")
    CANCELLATION = "cancellation", _("注销备案")


class FilingState(models.TextChoices):
    DRAFT = "draft", _("填写中")
    SUBMITTED = "submitted", _("已提交，待审核")
    RETURNED = "returned", _("退回补正")
    APPROVED = "approved", _("已备案")
    WITHDRAWN = "withdrawn", _("已撤回")


# The filing transition table: every state change goes through `filing_transition()` in services.py.
FILING_TRANSITIONS = {
    FilingState.DRAFT: {FilingState.SUBMITTED, FilingState.WITHDRAWN},
    FilingState.SUBMITTED: {FilingState.RETURNED, FilingState.APPROVED},
    FilingState.RETURNED: {FilingState.SUBMITTED, FilingState.WITHDRAWN},
    FilingState.APPROVED: set(),
    FilingState.WITHDRAWN: set(),
}


class PropertyType(models.TextChoices):
    OWNED = "owned", _("自有产权")
    LEASED = "leased", _("租赁")
    PUBLIC_BUILT = "public_built", _("公建民营")
    OTHER = "other", _("其他")


class MaterialKind(models.TextChoices):
    REGISTRATION_CERTIFICATE = (
        "registration_certificate",
        _("登记证书（营业执照/民办非企业单位登记证书/事业单位法人证书）"),
    )
    SITE_PROOF = "site_proof", _("服务场所权属或使用证明")
    FIRE = "fire", _("消防验收/备案或安全检查材料")
    FOOD = "food", _("食品经营许可或食堂备案材料")
    MEDICAL = "medical", _("内设医疗机构执业许可或备案材料")
    OTHER = "other", _("其他材料")


# Materials a complete filing has (seed 003 一(一): 材料齐全 → 回执; food and medical only where they apply).
REQUIRED_MATERIALS = [MaterialKind.REGISTRATION_CERTIFICATE, MaterialKind.SITE_PROOF, MaterialKind.FIRE]


class OnSiteCheckStatus(models.TextChoices):
    PENDING = "pending", _("待核查")
    COMPLETED = "completed", _("已核查")


class OnSiteCheckResult(models.TextChoices):
    CONSISTENT = "consistent", _("与备案信息一致")
    INCONSISTENT = "inconsistent", _("与备案信息不一致，责令改正")
    HAZARD = "hazard", _("发现安全隐患，已移交处理")
    NOT_OPERATING = "not_operating", _("未实际运营")


class LeadSource(models.TextChoices):
    GRID = "grid", _("网格员“吹哨”")
    COMPLAINT = "complaint", _("投诉举报")
    INSPECTION = "inspection", _("监督检查")
    STAFF = "staff", _("工作人员发现")


class LeadState(models.TextChoices):
    OPEN = "open", _("待现场检查")
    CHECKED = "checked", _("已现场检查，待处置")
    CLOSED = "closed", _("已办结")


LEAD_TRANSITIONS = {
    LeadState.OPEN: {LeadState.CHECKED, LeadState.CLOSED},
    LeadState.CHECKED: {LeadState.CLOSED},
    LeadState.CLOSED: set(),
}


class LeadOutcome(models.TextChoices):
    FILED = "filed", _("已督促备案")
    REGISTERED = "registered", _("已依法登记")
    REFERRED_MARKET = "referred_market", _("移交市场监管部门（无证无照经营）")
    REFERRED_CIVIL = "referred_civil", _("移交民政部门（未登记社会服务机构）")
    REFERRED_ESTABLISHMENT = "referred_establishment", _("移交机构编制部门（未登记事业单位）")
    CLOSED_DOWN = "closed_down", _("已停止经营/取缔")
    NOT_ELDERCARE = "not_eldercare", _("经核查不属于养老服务")


class DisclosureKind(models.TextChoices):
    """The "十一个上墙" items (seed 001, row 41) an institution publishes."""

    LICENCE = "licence", _("许可登记/备案信息")
    SERVICE_ITEMS = "service_items", _("服务项目")
    SERVICE_STANDARDS = "service_standards", _("服务标准")
    ADMISSION = "admission", _("入住/退住流程")
    MENU = "menu", _("每周食谱")
    FEES = "fees", _("收费标准")
    STAFF = "staff", _("工作人员信息")
    SAFETY = "safety", _("安全责任人")
    EVACUATION = "evacuation", _("疏散通道示意")
    DONATIONS = "donations", _("受赠财产及使用情况")
    COMPLAINTS = "complaints", _("投诉方式")


class IncidentType(models.TextChoices):
    ACCIDENT = "accident", _("安全生产事故")
    NATURAL_DISASTER = "natural_disaster", _("自然灾害")
    PUBLIC_HEALTH = "public_health", _("突发公共卫生事件")
    INFECTIOUS_DISEASE = "infectious_disease", _("传染病疫情")
    FOOD_POISONING = "food_poisoning", _("食物中毒")
    FIRE = "fire", _("火灾")
    OTHER = "other", _("其他")


# The supervision domain an incident belongs to decides who is told (seed 000 tasks 22, 24): the duty
# catalog then routes it to civil affairs, emergency management, health, market regulation or fire.
INCIDENT_DOMAINS = {
    IncidentType.ACCIDENT: "emergency_response",
    IncidentType.NATURAL_DISASTER: "emergency_response",
    IncidentType.PUBLIC_HEALTH: "medical_health",
    IncidentType.INFECTIOUS_DISEASE: "medical_health",
    IncidentType.FOOD_POISONING: "food_safety",
    IncidentType.FIRE: "fire_safety",
    IncidentType.OTHER: "emergency_response",
}
