"""Credit supervision (seed 002 二(三); seed 000 #13, #19, #38–40; 民发〔2019〕103号).

Every record about one institution is a RegulatedRecord: a credit event lies in the domain of the conduct it
records (a fire penalty in 消防安全), so the department whose duty covers that domain records it; a list entry
lies in the domain of its grounds (谁监管、谁列入) — the watch and red lists, whose grounds span domains, in
信用监管. Evaluations and risk assessments lie in 信用监管.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from agencies.choices import action_permissions
from agencies.models import Department, DepartmentKind
from institutions.models import RegulatedRecord

from .choices import (
    EventKind,
    EventState,
    Grade,
    ListKind,
    ListState,
    MeasureKind,
    PersonRole,
    RepairState,
    RiskLevel,
    ground_article,
    ground_label,
)


class CreditEvent(RegulatedRecord):
    """One entry of an institution's credit record: what a department decided or found about it."""

    kind = models.CharField(_("信用事项类型"), max_length=16, choices=EventKind.choices, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=EventState.choices, default=EventState.IN_FORCE,
                             db_index=True)
    department = models.ForeignKey(Department, verbose_name=_("来源部门"), on_delete=models.PROTECT,
                                   related_name="credit_events")
    occurred_on = models.DateField(_("决定（发生）日期"))
    summary = models.TextField(_("事由"))
    legal_basis = models.TextField(_("法律依据"), blank=True)
    document_number = models.CharField(_("文书编号"), max_length=64, blank=True)
    is_public = models.BooleanField(_("向社会公开"), default=True)
    public_until = models.DateField(_("公开截止日期"), null=True, blank=True)
    # What the system derived it from (a finding, a complaint, an inspection), when it did.
    source_finding = models.ForeignKey("inspections.Finding", verbose_name=_("来源问题隐患"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="credit_events")
    source_complaint_id = models.PositiveIntegerField(_("来源投诉编号"), null=True, blank=True)
    source_inspection = models.ForeignKey("inspections.Inspection", verbose_name=_("来源检查"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="credit_events")
    decided_note = models.TextField(_("确认/不予记录说明"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("信用记录事项")
        verbose_name_plural = _("信用记录事项")
        indexes = [
            models.Index(fields=["domain", "region_code", "id"], name="creditevent_scope_idx"),
            models.Index(fields=["institution", "state", "occurred_on"], name="creditevent_inst_idx"),
        ]
        constraints = [
            # One automatic event per source: a re-sent signal must not count twice.
            models.UniqueConstraint(fields=["source_finding", "kind"], condition=models.Q(source_finding__isnull=False),
                                    name="one_event_per_finding_kind"),
            models.UniqueConstraint(fields=["source_complaint_id"],
                                    condition=models.Q(source_complaint_id__isnull=False),
                                    name="one_event_per_complaint"),
            models.UniqueConstraint(fields=["source_inspection", "kind"],
                                    condition=models.Q(source_inspection__isnull=False),
                                    name="one_event_per_inspection_kind"),
        ]
        permissions = action_permissions("creditevent")

    def __str__(self):
        return f"{self.institution} · {self.get_kind_display()} · {self.occurred_on}"


class CreditEventGroupObjectPermission(GroupObjectPermissionBase):
    """A proposed event handed to the department that must confirm it (a broken pledge → the finding department)."""

    content_object = models.ForeignKey(CreditEvent, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("信用事项移交授权")
        verbose_name_plural = _("信用事项移交授权")


class ResponsiblePerson(models.Model):
    """A responsible person named in an event or a list entry: only what the duty needs.

    The full ID number is never stored: its salted SHA-256 is what the industry-ban check matches, and the last
    four characters are kept for staff to tell namesakes apart. The public sees the masked name only.
    """

    event = models.ForeignKey(CreditEvent, verbose_name=_("信用事项"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="persons")
    list_entry = models.ForeignKey("ListEntry", verbose_name=_("名单"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="persons")
    role = models.CharField(_("身份"), max_length=12, choices=PersonRole.choices)
    name = models.CharField(_("姓名"), max_length=64)
    id_number_hash = models.CharField(_("身份证号摘要"), max_length=64, blank=True, db_index=True)
    id_number_tail = models.CharField(_("身份证号后四位"), max_length=4, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("责任人")
        verbose_name_plural = _("责任人")
        constraints = [models.CheckConstraint(
            condition=models.Q(event__isnull=False) | models.Q(list_entry__isnull=False), name="person_has_parent")]

    def __str__(self):
        return f"{self.get_role_display()} {self.masked_name}"

    @property
    def masked_name(self) -> str:
        return self.name[:1] + "*" * max(len(self.name) - 1, 1)


class CreditDocument(models.Model):
    """A document attached to an event or a repair application; served only through a permission-checked view."""

    event = models.ForeignKey(CreditEvent, verbose_name=_("信用事项"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="documents")
    repair = models.ForeignKey("CreditRepair", verbose_name=_("信用修复申请"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("文件"), upload_to="credit/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("信用文书")
        verbose_name_plural = _("信用文书")
        constraints = [models.CheckConstraint(
            condition=models.Q(event__isnull=False) | models.Q(repair__isnull=False), name="document_has_parent")]

    def __str__(self):
        return self.original_name


# ------------------------------------------------------------------------------------------------ pledges


class PledgeItem(models.Model):
    """A clause of the credit pledge (信用承诺书), tied to the checklist items that test it."""

    code = models.CharField(_("条款编号"), max_length=16, unique=True)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.TextField(_("承诺内容"))

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("信用承诺条款")
        verbose_name_plural = _("信用承诺条款")

    def __str__(self):
        return f"{self.code} {self.text[:30]}"


class PledgeItemChecklistCode(models.Model):
    """A checklist item code (检查事项编码, stable across checklist versions) that tests a pledge clause."""

    pledge_item = models.ForeignKey(PledgeItem, verbose_name=_("承诺条款"), on_delete=models.CASCADE,
                                    related_name="checklist_codes")
    checklist_code = models.CharField(_("检查事项编码"), max_length=32, unique=True)

    class Meta:
        ordering = ["checklist_code"]
        verbose_name = _("承诺条款对应检查事项")
        verbose_name_plural = _("承诺条款对应检查事项")

    def __str__(self):
        return f"{self.pledge_item.code} ← {self.checklist_code}"


# --------------------------------------------------------------------------------------------- evaluation


class ScoringModel(models.Model):
    """A version of the public credit evaluation model (公共信用综合评价, seed 000 #40).

    Weights (points at full strength) and half-lives (days) per event kind, and the grade thresholds. A version
    is a draft until published; a published version never changes — civil affairs edits a new version — so an
    evaluation names the version it was computed with and can be recomputed from the events.
    """

    version = models.PositiveIntegerField(_("版本号"), unique=True)
    weights = models.JSONField(_("各类事项分值"))
    half_life_days = models.JSONField(_("衰减半衰期（天）"))
    thresholds = models.JSONField(_("等级分数线"))
    base_score = models.PositiveSmallIntegerField(_("基础分"), default=100)
    note = models.TextField(_("说明"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("信用评价模型")
        verbose_name_plural = _("信用评价模型")

    def __str__(self):
        return _("信用评价模型第%(v)s版") % {"v": self.version}


class CreditEvaluation(RegulatedRecord):
    """One evaluation of one institution: score, grade, the model version and a line per contribution."""

    scoring_model = models.ForeignKey(ScoringModel, verbose_name=_("评价模型"), on_delete=models.PROTECT,
                                      related_name="evaluations")
    as_of = models.DateField(_("评价基准日"))
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("信用等级"), max_length=1, choices=Grade.choices)
    lines = models.JSONField(_("得分明细"), default=list)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("信用评价")
        verbose_name_plural = _("信用评价")
        indexes = [models.Index(fields=["institution", "-id"], name="creditevaluation_inst_idx"),
                   models.Index(fields=["domain", "region_code", "id"], name="creditevaluation_scope_idx")]
        permissions = action_permissions("creditevaluation")

    def __str__(self):
        return f"{self.institution} · {self.grade} · {self.as_of}"


class RiskAssessment(RegulatedRecord):
    """A risk grading (风险分级, seed 000 #13) of one institution, with its reasons; the latest one is in force."""

    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices)
    points = models.SmallIntegerField(_("风险分"))
    reasons = models.JSONField(_("理由"), default=list)
    assessed_on = models.DateField(_("评估日期"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("风险分级")
        verbose_name_plural = _("风险分级")
        indexes = [models.Index(fields=["institution", "-id"], name="riskassessment_inst_idx"),
                   models.Index(fields=["domain", "region_code", "id"], name="riskassessment_scope_idx")]
        permissions = action_permissions("riskassessment")

    def __str__(self):
        return f"{self.institution} · {self.get_level_display()}"


# -------------------------------------------------------------------------------------------------- lists


class ListEntry(RegulatedRecord):
    """An institution on (or on its way onto) the blacklist, the watch list or the red list."""

    list_kind = models.CharField(_("名单"), max_length=8, choices=ListKind.choices, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=ListState.choices, default=ListState.PROPOSED,
                             db_index=True)
    ground = models.CharField(_("列入事由"), max_length=32)
    legal_basis = models.TextField(_("依据"))
    facts = models.TextField(_("事实"))
    department = models.ForeignKey(Department, verbose_name=_("列入部门"), on_delete=models.PROTECT,
                                   related_name="list_entries")
    auto_proposed = models.BooleanField(_("系统自动提请"), default=False)
    source_finding = models.ForeignKey("inspections.Finding", verbose_name=_("来源问题隐患"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="list_entries")
    proposed_on = models.DateField(_("提请日期"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提请人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    notified_on = models.DateField(_("告知日期"), null=True, blank=True)
    objection_due = models.DateField(_("异议截止日期"), null=True, blank=True)
    objection = models.TextField(_("陈述申辩（异议）"), blank=True)
    objected_on = models.DateField(_("异议日期"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decision_note = models.TextField(_("决定说明"), blank=True)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    listed_until = models.DateField(_("列入期限至"), null=True, blank=True)
    ended_on = models.DateField(_("移出日期"), null=True, blank=True)
    end_reason = models.TextField(_("移出理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-proposed_on", "-id"]
        verbose_name = _("信用名单")
        verbose_name_plural = _("信用名单")
        indexes = [models.Index(fields=["domain", "region_code", "id"], name="listentry_scope_idx"),
                   models.Index(fields=["list_kind", "state", "published_on"], name="listentry_public_idx")]
        permissions = action_permissions("listentry")

    def __str__(self):
        return f"{self.institution} · {self.get_list_kind_display()} · {self.get_state_display()}"

    @property
    def ground_label(self) -> str:
        return ground_label(self.list_kind, self.ground)

    @property
    def ground_article(self) -> str:
        return ground_article(self.list_kind, self.ground)


class ListEntryGroupObjectPermission(GroupObjectPermissionBase):
    """The listing department keeps its entry (and a watch-list entry is handed to the civil-affairs bureau
    that decides it) whatever the duty catalog later says: a direct-FK guardian grant."""

    content_object = models.ForeignKey(ListEntry, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("信用名单移交授权")
        verbose_name_plural = _("信用名单移交授权")


class IndustryBan(models.Model):
    """行业禁入: a person blacklisted for abusing elders may not work in elderly care until `until`
    (empty: for good). Staff rosters are checked against it with `credit.selectors.is_banned`."""

    person = models.OneToOneField(ResponsiblePerson, verbose_name=_("责任人"), on_delete=models.PROTECT,
                                  related_name="ban")
    list_entry = models.ForeignKey(ListEntry, verbose_name=_("名单"), on_delete=models.PROTECT,
                                   related_name="bans")
    starts_on = models.DateField(_("禁入起始日期"))
    until = models.DateField(_("禁入截止日期"), null=True, blank=True)
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("行业禁入")
        verbose_name_plural = _("行业禁入")

    def __str__(self):
        return f"{self.person} · {self.starts_on}"


class CreditRepair(RegulatedRecord):
    """信用修复: the institution shows it has put things right; the listing department reviews."""

    list_entry = models.ForeignKey(ListEntry, verbose_name=_("名单"), on_delete=models.PROTECT,
                                   related_name="repairs")
    state = models.CharField(_("状态"), max_length=10, choices=RepairState.choices, default=RepairState.SUBMITTED,
                             db_index=True)
    statement = models.TextField(_("整改情况说明"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请账号"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    applied_on = models.DateField(_("申请日期"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_on = models.DateField(_("审核日期"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        indexes = [models.Index(fields=["domain", "region_code", "id"], name="creditrepair_scope_idx")]
        permissions = action_permissions("creditrepair")

    def __str__(self):
        return f"{self.institution} · {self.get_state_display()}"


class JointMeasure(models.Model):
    """One line of the joint punishment / incentive catalog (联合惩戒措施清单 / 联合激励): what a department kind
    does for an institution on a list (seed 002 二(三)3–4)."""

    department_kind = models.ForeignKey(DepartmentKind, verbose_name=_("部门类别"), on_delete=models.PROTECT,
                                        related_name="joint_measures")
    list_kind = models.CharField(_("名单"), max_length=8, choices=ListKind.choices)
    kind = models.CharField(_("措施类型"), max_length=12, choices=MeasureKind.choices)
    text = models.TextField(_("措施内容"))
    basis = models.CharField(_("依据"), max_length=255, blank=True)

    class Meta:
        ordering = ["department_kind", "list_kind", "id"]
        verbose_name = _("联合奖惩措施")
        verbose_name_plural = _("联合奖惩措施")

    def __str__(self):
        return f"{self.department_kind} · {self.get_list_kind_display()}：{self.text[:30]}"
