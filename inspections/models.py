from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.choices import action_permissions
from agencies.models import Department, DepartmentKind, Domain, StaffProfile
from institutions.models import RegulatedRecord

from .choices import (
    ChecklistCategory,
    Confidence,
    DrawState,
    FindingState,
    InspectionKind,
    InspectionState,
    ItemResultValue,
    ListKind,
    PlanState,
    RectificationDecision,
    ReferralKind,
    ReferralState,
    RiskLevel,
    Severity,
    SupervisedCaseState,
    SuspensionState,
    neutral_list_multipliers,
    neutral_risk_multipliers,
)


def finding_day():
    """The day a hazard was found; findings recorded without it count from the day they were recorded. The
    dashboard filters on this expression and `finding_day_idx` indexes it: the two must stay the same."""
    return Coalesce("found_on", TruncDate("created_at"))


class Finding(RegulatedRecord):
    """A problem or hazard (问题/隐患) found at an institution, in one supervision domain."""

    text = models.TextField(_("问题描述"))
    found_by = models.ForeignKey(Department, verbose_name=_("发现部门"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="findings_found")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    # Where it was found and against what (empty for a finding recorded outside an inspection).
    inspection = models.ForeignKey("Inspection", verbose_name=_("检查"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="findings")
    checklist_item = models.ForeignKey("ChecklistItem", verbose_name=_("检查事项"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(_("隐患等级"), max_length=8, choices=Severity.choices, default=Severity.GENERAL,
                                db_index=True)
    basis = models.TextField(_("法律依据"), blank=True)
    found_on = models.DateField(_("发现日期"), null=True, blank=True)
    # 谁检查、谁验收: the department that verifies the rectification (the finding department, or the competent
    # department a referral handed it to).
    verifying_department = models.ForeignKey(Department, verbose_name=_("验收部门"), null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="findings_to_verify")
    rectification_working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"), null=True, blank=True)
    rectification_due = models.DateField(_("整改截止日期"), null=True, blank=True, db_index=True)
    state = models.CharField(_("整改状态"), max_length=12, choices=FindingState.choices, default=FindingState.OPEN,
                             db_index=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("逾期升级时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("问题隐患")
        verbose_name_plural = _("问题隐患")
        indexes = [
            # The statutory scope: domain IN (…) AND region_code in [prefix, next prefix).
            models.Index(fields=["domain", "region_code", "id"], name="finding_scope_idx"),
            models.Index(fields=["region_code", "id"], name="finding_region_idx"),
            models.Index(fields=["institution", "id"], name="finding_institution_idx"),
            # The dashboard's year of findings (finding_day(): the day found, else the day recorded): a year of
            # a province is a fifth of the table, which a sequential scan reads whole.
            models.Index(finding_day(), "region_code", name="finding_day_idx"),
        ]
        permissions = action_permissions("finding")

    def __str__(self):
        return f"{self.institution} · {self.domain}：{self.text[:30]}"


class FindingGroupObjectPermission(GroupObjectPermissionBase):
    """A hand-off of one finding to a department (a referral, a joint team): guardian direct FK grant."""

    content_object = models.ForeignKey(Finding, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("问题隐患移交授权")
        verbose_name_plural = _("问题隐患移交授权")


class FindingUserObjectPermission(UserObjectPermissionBase):
    """A hand-off of one finding to a single person (an inspector on a joint team)."""

    content_object = models.ForeignKey(Finding, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("问题隐患个人授权")
        verbose_name_plural = _("问题隐患个人授权")


# ------------------------------------------------------------------------------------- checklist catalog


class ChecklistVersion(models.Model):
    """One edition of the checklist catalog (检查事项清单).

    A version is a draft until it is published; civil affairs edits the items of a draft only. Publishing makes
    it the one active version and retires the previous one, whose items stay as they were: plans and
    inspections keep pointing at the version they were made with. The catalog is city-wide reference data,
    not a record about one institution, so it is not a RegulatedRecord and has no row-level scope.
    """

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    based_on = models.ForeignKey("self", verbose_name=_("基于版本"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="derived_versions")
    note = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("现行版本"), default=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("检查事项清单版本")
        verbose_name_plural = _("检查事项清单版本")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                    name="one_active_checklist_version"),
            models.CheckConstraint(condition=models.Q(active=False) | models.Q(published_at__isnull=False),
                                   name="active_checklist_version_is_published"),
        ]

    def __str__(self):
        return _("第%(number)s版检查事项清单") % {"number": self.number}

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class ChecklistItem(models.Model):
    """One item of a checklist version: key (重点) or general (一般), its domain, responsible kind and basis."""

    version = models.ForeignKey(ChecklistVersion, verbose_name=_("版本"), on_delete=models.CASCADE,
                                related_name="items")
    position = models.PositiveIntegerField(_("序号"), default=0)
    code = models.CharField(_("事项编码"), max_length=32)
    category = models.CharField(_("类别"), max_length=16, choices=ChecklistCategory.choices)
    domain = models.ForeignKey(Domain, verbose_name=_("监管领域"), on_delete=models.PROTECT,
                               related_name="checklist_items")
    text = models.TextField(_("检查内容"))
    basis = models.TextField(_("检查依据"), blank=True)
    responsible_kind = models.ForeignKey(DepartmentKind, verbose_name=_("责任部门"), on_delete=models.PROTECT,
                                         related_name="checklist_items")
    supporting_kinds = models.ManyToManyField(DepartmentKind, verbose_name=_("配合部门"), blank=True,
                                              related_name="supported_checklist_items")
    confidence = models.CharField(_("归属把握"), max_length=8, choices=Confidence.choices, default=Confidence.HIGH)
    seed_category = models.CharField(_("种子文件中的分类"), max_length=64, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("检查事项")
        verbose_name_plural = _("检查事项")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_checklist_item_code")]

    def __str__(self):
        return f"{self.code} {self.text[:30]}"


# ---------------------------------------------------------------------------------- inspector directory


class Inspector(models.Model):
    """An entry of the inspector directory (执法检查人员名录库).

    Either a staff member with an account (`staff`) or an outside expert (`external`: name and organisation,
    no account). `department` is the department whose roster holds the inspector — for an outside expert, the
    department that engaged them. The directory is about people, not about institutions, so it is not a
    RegulatedRecord.
    """

    staff = models.OneToOneField(StaffProfile, verbose_name=_("工作人员"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="inspector")
    external = models.BooleanField(_("外聘专家"), default=False)
    name = models.CharField(_("姓名"), max_length=64, blank=True, help_text=_("外聘专家必填；工作人员取其账户姓名。"))
    organisation = models.CharField(_("所在单位"), max_length=128, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), on_delete=models.PROTECT,
                                   related_name="inspectors")
    certificate_number = models.CharField(_("执法证号"), max_length=64, blank=True)
    domains = models.ManyToManyField(Domain, verbose_name=_("专业领域"), blank=True, related_name="inspectors")
    active = models.BooleanField(_("在册"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["department", "id"]
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录")
        constraints = [
            models.UniqueConstraint(fields=["certificate_number"], condition=~models.Q(certificate_number=""),
                                    name="unique_inspector_certificate"),
            models.CheckConstraint(
                condition=(models.Q(external=False, staff__isnull=False)
                           | (models.Q(external=True, staff__isnull=True) & ~models.Q(name=""))),
                name="inspector_staff_or_named_expert"),
        ]

    def __str__(self):
        return f"{self.display_name}（{self.organisation if self.external else self.department}）"

    @property
    def display_name(self) -> str:
        if self.staff_id:
            user = self.staff.user
            return user.get_full_name() or user.username
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.external and self.staff_id:
            errors["staff"] = _("外聘专家不关联工作人员账户。")
        if not self.external and not self.staff_id:
            errors["staff"] = _("本部门执法检查人员须关联工作人员账户。")
        if self.external and not self.name.strip():
            errors["name"] = _("外聘专家须填写姓名。")
        if self.staff_id and self.department_id and self.staff.department_id != self.department_id:
            errors["department"] = _("所属部门须为该工作人员所在部门。")
        self.certificate_number = self.certificate_number.strip()
        if self.certificate_number and (Inspector.objects.filter(certificate_number=self.certificate_number)
                                        .exclude(pk=self.pk).exists()):
            errors["certificate_number"] = _("执法证号已被登记。")
        if errors:
            raise ValidationError(errors)


class InspectorConflict(models.Model):
    """A declared conflict of interest (回避): this inspector is never drawn for this institution.

    It names an institution but is not a supervision record about it — nobody inspects, finds or verifies
    anything on it, and no duty grants an action on it. It is a constraint of the inspector directory that
    the draw reads, so it is a plain model kept by whoever keeps the directory, not a RegulatedRecord with a
    copied region and domain.
    """

    inspector = models.ForeignKey(Inspector, verbose_name=_("执法检查人员"), on_delete=models.CASCADE,
                                  related_name="conflicts")
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("养老机构"), on_delete=models.CASCADE,
                                    related_name="inspector_conflicts")
    reason = models.TextField(_("回避事由"))
    declared_at = models.DateTimeField(_("申报时间"), auto_now_add=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申报人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("回避申报")
        verbose_name_plural = _("回避申报")
        constraints = [models.UniqueConstraint(fields=["inspector", "institution"],
                                               name="one_conflict_per_inspector_institution")]

    def __str__(self):
        return f"{self.inspector.display_name} × {self.institution}"


# ------------------------------------------------------------------------------------------- annual plan


class InspectionPlan(models.Model):
    """An annual "双随机、一公开" plan, led by a civil-affairs department over its region.

    Every operating institution of the region is inspected at least once a year; `sampling_ratio` is the share
    drawn again beyond that, weighted by the risk and list multipliers (neutral 1.0 until credit sets risk
    levels and lists). A plan is a city or district programme, not a record about one institution, so it is not
    a RegulatedRecord.
    """

    year = models.PositiveIntegerField(_("年度"))
    title = models.CharField(_("计划名称"), max_length=128)
    lead_department = models.ForeignKey(Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT,
                                        related_name="led_plans")
    participating_departments = models.ManyToManyField(Department, verbose_name=_("参与部门"), blank=True,
                                                       related_name="joined_plans")
    checklist_version = models.ForeignKey(ChecklistVersion, verbose_name=_("检查事项清单版本"),
                                          on_delete=models.PROTECT, related_name="plans")
    sampling_ratio = models.DecimalField(
        _("抽查比例"), max_digits=4, decimal_places=3, default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("每家机构每年至少检查一次之外，再随机抽取的比例（0–1）。"))
    risk_multipliers = models.JSONField(_("风险等级倍数"), default=neutral_risk_multipliers)
    list_multipliers = models.JSONField(_("名单倍数"), default=neutral_list_multipliers)
    joint_preferred = models.BooleanField(_("优先联合检查"), default=True)
    state = models.CharField(_("状态"), max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("年度抽查计划")
        verbose_name_plural = _("年度抽查计划")
        constraints = [
            models.CheckConstraint(condition=models.Q(sampling_ratio__gte=0, sampling_ratio__lte=1),
                                   name="plan_sampling_ratio_0_1"),
            models.UniqueConstraint(fields=["lead_department", "year", "title"], name="unique_plan_title_per_year"),
        ]

    def __str__(self):
        return f"{self.year} {self.title}"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.lead_department_id and self.lead_department.kind.code != "civil_affairs":
            errors["lead_department"] = _("年度抽查计划由民政部门牵头。")
        for field, keys in (("risk_multipliers", RiskLevel.values), ("list_multipliers", ListKind.values)):
            value = getattr(self, field)
            if not isinstance(value, dict) or set(value) != set(keys) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value.values()):
                errors[field] = _("须为 %(keys)s 各一个正数。") % {"keys": "、".join(keys)}
        if errors:
            raise ValidationError(errors)


# ------------------------------------------------------------------------------------------- inspections


class Inspection(RegulatedRecord):
    """One on-site inspection of one institution: planned (from a draw), special, or case (unannounced).

    Its `domain` is 协同监管机制 (supervision_mechanism): the inspection as an event of joint supervision, read
    by whoever the duty catalog gives that domain over the region; the departments and inspectors of its team
    get explicit grants (InspectionGroupObjectPermission / InspectionUserObjectPermission). What was found is
    in the findings, each in its own domain, so a team member sees only the findings its own duty covers.
    """

    kind = models.CharField(_("检查类型"), max_length=12, choices=InspectionKind.choices)
    state = models.CharField(_("状态"), max_length=12, choices=InspectionState.choices,
                             default=InspectionState.SCHEDULED, db_index=True)
    plan = models.ForeignKey(InspectionPlan, verbose_name=_("年度计划"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="inspections")
    # A planned inspection comes from one drawn institution of a draw (双随机), and only one.
    assignment = models.OneToOneField("DrawAssignment", verbose_name=_("抽取结果"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="inspection")
    lead_department = models.ForeignKey(Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT,
                                        related_name="led_inspections")
    departments = models.ManyToManyField(Department, verbose_name=_("参与部门"), blank=True,
                                         related_name="joined_inspections")
    inspectors = models.ManyToManyField(Inspector, verbose_name=_("检查人员"), through="InspectionTeamMember",
                                        related_name="inspections")
    checklist_version = models.ForeignKey(ChecklistVersion, verbose_name=_("检查事项清单版本"),
                                          on_delete=models.PROTECT, related_name="inspections")
    items = models.ManyToManyField(ChecklistItem, verbose_name=_("检查事项"), blank=True,
                                   related_name="inspections")
    origin = models.CharField(_("检查来源"), max_length=255, blank=True,
                              help_text=_("案件检查的线索来源，如投诉、线索或移送编号。"))
    scheduled_for = models.DateField(_("计划检查日期"))
    notice_due = models.DateField(_("最迟通知日期"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始检查时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    publish_due = models.DateField(_("公开截止日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    public_summary = models.TextField(_("公开结果摘要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        indexes = [
            models.Index(fields=["domain", "region_code", "id"], name="inspection_scope_idx"),
            models.Index(fields=["institution", "id"], name="inspection_institution_idx"),
        ]
        permissions = action_permissions("inspection")

    def __str__(self):
        return f"{self.institution} · {self.get_kind_display()} · {self.scheduled_for}"


class InspectionGroupObjectPermission(GroupObjectPermissionBase):
    """A department on the inspection's team (guardian direct FK grant)."""

    content_object = models.ForeignKey(Inspection, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("检查组部门授权")
        verbose_name_plural = _("检查组部门授权")


class InspectionUserObjectPermission(UserObjectPermissionBase):
    """An inspector on the inspection's team (guardian direct FK grant)."""

    content_object = models.ForeignKey(Inspection, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("检查人员授权")
        verbose_name_plural = _("检查人员授权")


class InspectionTeamMember(models.Model):
    """An inspector on an inspection's team, and their sign-off (at least two sign, seed 002 / 行政检查办法)."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("检查"), on_delete=models.CASCADE,
                                   related_name="team")
    inspector = models.ForeignKey(Inspector, verbose_name=_("检查人员"), on_delete=models.PROTECT,
                                  related_name="team_memberships")
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)

    class Meta:
        ordering = ["inspection", "id"]
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        constraints = [models.UniqueConstraint(fields=["inspection", "inspector"], name="one_membership_per_inspector")]

    def __str__(self):
        return f"{self.inspection} · {self.inspector.display_name}"


class ItemResult(models.Model):
    """The result of one checklist item at one inspection (合格 / 不合格 / 不适用). Read through its inspection."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("检查"), on_delete=models.CASCADE,
                                   related_name="item_results")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("检查事项"), on_delete=models.PROTECT,
                             related_name="results")
    result = models.CharField(_("检查结果"), max_length=4, choices=ItemResultValue.choices)
    note = models.TextField(_("说明"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        ordering = ["inspection", "item__position", "id"]
        verbose_name = _("检查事项结果")
        verbose_name_plural = _("检查事项结果")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="one_result_per_item")]

    def __str__(self):
        return f"{self.item.code}：{self.get_result_display()}"


def _evidence_path(instance, filename):
    """Server-generated names: the uploader's file name is kept as data, never used on disk."""
    import os
    import uuid

    from django.utils import timezone

    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"inspections/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class FindingPhoto(models.Model):
    """A photo taken on site for a finding; served only through a permission-checked view."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题隐患"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("文件"), upload_to=_evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["finding", "id"]
        verbose_name = _("问题照片")
        verbose_name_plural = _("问题照片")

    def __str__(self):
        return self.original_name or self.file.name


class Rectification(models.Model):
    """The institution's answer to a finding (measures and evidence), and the verifying department's decision.

    Read through its finding (`Finding.objects.restrict(...)`), never on its own.
    """

    finding = models.ForeignKey(Finding, verbose_name=_("问题隐患"), on_delete=models.PROTECT,
                                related_name="rectifications")
    measures = models.TextField(_("整改措施"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decision = models.CharField(_("验收结论"), max_length=10, choices=RectificationDecision.choices,
                                default=RectificationDecision.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("验收人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    review_note = models.TextField(_("验收意见"), blank=True)

    class Meta:
        ordering = ["finding", "-submitted_at", "-id"]
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")

    def __str__(self):
        return f"{self.finding} · {self.get_decision_display()}"


class RectificationEvidence(models.Model):
    """A file proving a rectification; served only through a permission-checked view."""

    rectification = models.ForeignKey(Rectification, verbose_name=_("整改报告"), on_delete=models.CASCADE,
                                      related_name="evidence")
    file = models.FileField(_("文件"), upload_to=_evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["rectification", "id"]
        verbose_name = _("整改佐证材料")
        verbose_name_plural = _("整改佐证材料")

    def __str__(self):
        return self.original_name or self.file.name


class Referral(RegulatedRecord):
    """A finding handed to the competent department (移送) or copied to it (抄告), seed 002 一(四).

    Carries the finding's institution and domain. The receiving department sees it by its duty or, where its
    duty does not reach, by the grant made when the referral is sent; accepting grants it the finding itself.
    """

    finding = models.ForeignKey(Finding, verbose_name=_("问题隐患"), on_delete=models.PROTECT,
                                related_name="referrals")
    kind = models.CharField(_("类型"), max_length=10, choices=ReferralKind.choices, default=ReferralKind.TRANSFER)
    state = models.CharField(_("状态"), max_length=10, choices=ReferralState.choices, default=ReferralState.SENT,
                             db_index=True)
    from_department = models.ForeignKey(Department, verbose_name=_("移送部门"), on_delete=models.PROTECT,
                                        related_name="referrals_sent")
    to_department = models.ForeignKey(Department, verbose_name=_("接收部门"), on_delete=models.PROTECT,
                                      related_name="referrals_received")
    reason = models.TextField(_("移送事由"))
    # The sender's clock: sent within 7 working days of the finding (seed 002); the receiver's: answer by.
    refer_due = models.DateField(_("应移送日期"))
    sent_at = models.DateTimeField(_("移送时间"), auto_now_add=True)
    answer_due = models.DateField(_("应反馈日期"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    feedback = models.TextField(_("办理反馈"), blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("移送人"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("移送抄告")
        verbose_name_plural = _("移送抄告")
        indexes = [models.Index(fields=["domain", "region_code", "id"], name="referral_scope_idx")]
        permissions = action_permissions("referral")

    def __str__(self):
        return f"{self.get_kind_display()} {self.from_department} → {self.to_department}"


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    """The sending and receiving departments of a referral (guardian direct FK grant)."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("移送授权")
        verbose_name_plural = _("移送授权")


class SupervisedCase(RegulatedRecord):
    """A major hazard under listed supervision (挂牌督办, seed 000 #3, seed 001 row 2): public while open."""

    finding = models.ForeignKey(Finding, verbose_name=_("重大隐患"), on_delete=models.PROTECT,
                                related_name="supervised_cases")
    supervising_department = models.ForeignKey(Department, verbose_name=_("督办单位"), on_delete=models.PROTECT,
                                               related_name="supervised_cases")
    state = models.CharField(_("状态"), max_length=8, choices=SupervisedCaseState.choices,
                             default=SupervisedCaseState.OPEN, db_index=True)
    requirements = models.TextField(_("督办要求"))
    deadline = models.DateField(_("督办期限"))
    listed_on = models.DateField(_("挂牌日期"))
    lifted_on = models.DateField(_("销号日期"), null=True, blank=True)
    lift_note = models.TextField(_("销号说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("挂牌人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-listed_on", "-id"]
        verbose_name = _("挂牌督办")
        verbose_name_plural = _("挂牌督办")
        permissions = action_permissions("supervisedcase")

    def __str__(self):
        return f"{self.institution} · {self.listed_on}"


class SuspensionOrder(RegulatedRecord):
    """责令停业整顿: ordered when a finding stays unrectified past its deadline (escalation)."""

    finding = models.ForeignKey(Finding, verbose_name=_("问题隐患"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="suspension_orders")
    issued_by = models.ForeignKey(Department, verbose_name=_("决定部门"), on_delete=models.PROTECT,
                                  related_name="suspension_orders")
    state = models.CharField(_("状态"), max_length=10, choices=SuspensionState.choices,
                             default=SuspensionState.IN_FORCE, db_index=True)
    reason = models.TextField(_("事由"))
    basis = models.TextField(_("依据"), blank=True)
    issued_on = models.DateField(_("决定日期"))
    lifted_on = models.DateField(_("解除日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("责令停业整顿")
        verbose_name_plural = _("责令停业整顿")
        permissions = action_permissions("suspensionorder")

    def __str__(self):
        return f"{self.institution} · {self.issued_on}"


# ------------------------------------------------------------------------------------- the draw (双随机)


class Draw(models.Model):
    """One verifiable draw (双随机) of a published plan: which institutions are inspected and by whom.

    At commit the portal stores the canonical input (`input_json`, the exact bytes that were hashed) and a
    secret seed, and publishes the commitment (`seed_hash`, `input_hash`, `commitment_hash`, `algorithm`); at
    execution it reveals the seed and stores the result (`result_json`, `result_hash`) and one
    `DrawAssignment` per drawn institution. Anyone re-runs `inspections.draw` on `input_json` and the revealed
    seed and must get `result_json` byte for byte (`manage.py verify_draw`, the public page). The seed is
    never shown while the draw is committed. A draw is plan-level, not a RegulatedRecord.
    """

    plan = models.ForeignKey(InspectionPlan, verbose_name=_("年度抽查计划"), on_delete=models.PROTECT,
                             related_name="draws")
    number = models.PositiveIntegerField(_("轮次"))
    state = models.CharField(_("状态"), max_length=16, choices=DrawState.choices, default=DrawState.COMMITTED)
    algorithm = models.CharField(_("算法版本"), max_length=32)
    seed_hash = models.CharField(_("种子哈希"), max_length=64)
    input_hash = models.CharField(_("输入哈希"), max_length=64)
    commitment_hash = models.CharField(_("承诺哈希"), max_length=64, unique=True)
    # The canonical input exactly as hashed (UTF-8 JSON text); `input_bytes` re-encodes it.
    input_json = models.TextField(_("规范化输入"))
    secret_seed = models.CharField(_("种子（十六进制）"), max_length=128, editable=False,
                                   help_text=_("抽取前保密，抽取后公开。"))
    result_json = models.TextField(_("抽取结果"), blank=True)
    result_hash = models.CharField(_("结果哈希"), max_length=64, blank=True)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("承诺人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    committed_at = models.DateTimeField(_("承诺时间"))
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("抽取人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    executed_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    # The committed rules' required_department_ids, stored at execution: every team of the draw includes one of
    # their inspectors. Once per draw, not per drawn institution (a province's draw: 5 rows, not 45,000).
    required_departments = models.ManyToManyField(Department, verbose_name=_("须参加的部门"), blank=True,
                                                  related_name="+")

    class Meta:
        ordering = ["-committed_at", "-id"]
        verbose_name = _("双随机抽取")
        verbose_name_plural = _("双随机抽取")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_draw_number_per_plan"),
            # One open commitment per plan: several at once would let the organiser execute the one it likes.
            models.UniqueConstraint(fields=["plan"], condition=models.Q(state=DrawState.COMMITTED),
                                    name="one_committed_draw_per_plan"),
            models.CheckConstraint(
                condition=models.Q(state=DrawState.COMMITTED, executed_at__isnull=True, result_hash="")
                | (models.Q(state=DrawState.EXECUTED, executed_at__isnull=False) & ~models.Q(result_hash="")),
                name="draw_result_iff_executed"),
        ]

    def __str__(self):
        return _("%(plan)s 第%(number)s轮抽取") % {"plan": self.plan, "number": self.number}

    @property
    def is_executed(self) -> bool:
        return self.state == DrawState.EXECUTED

    @property
    def input_bytes(self) -> bytes:
        return self.input_json.encode("utf-8")

    @property
    def revealed_seed(self) -> str | None:
        """The seed in hex once the draw is executed; None before, whatever asks."""
        return self.secret_seed if self.is_executed else None

    @property
    def published_commitment(self) -> dict:
        return {"algorithm": self.algorithm, "seed_hash": self.seed_hash, "input_hash": self.input_hash,
                "commitment_hash": self.commitment_hash}


class DrawAssignment(models.Model):
    """One drawn institution of an executed draw and its team; `position` is the drawn order (from 1)."""

    draw = models.ForeignKey(Draw, verbose_name=_("抽取"), on_delete=models.CASCADE, related_name="assignments")
    position = models.PositiveIntegerField(_("抽中顺序"))
    institution = models.ForeignKey("institutions.Institution", verbose_name=_("养老机构"), on_delete=models.PROTECT,
                                    related_name="draw_assignments")
    inspectors = models.ManyToManyField(Inspector, verbose_name=_("检查人员"), related_name="draw_assignments")

    class Meta:
        ordering = ["draw", "position"]
        verbose_name = _("抽取结果")
        verbose_name_plural = _("抽取结果")
        constraints = [
            models.UniqueConstraint(fields=["draw", "position"], name="unique_draw_position"),
            models.UniqueConstraint(fields=["draw", "institution"], name="unique_draw_institution"),
        ]

    def __str__(self):
        return f"{self.draw} #{self.position} {self.institution}"
