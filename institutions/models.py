from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from agencies.access import RestrictedQuerySet
from agencies.choices import FACT_BITS, InstitutionFact, action_permissions
from agencies.models import Department, Domain, Region

from .choices import (
    CreditList,
    DisclosureKind,
    FilingKind,
    FilingState,
    FilingStatus,
    IncidentType,
    InstitutionStatus,
    LeadOutcome,
    LeadSource,
    LeadState,
    LegalForm,
    MaterialKind,
    OnSiteCheckResult,
    OnSiteCheckStatus,
    ProfitNature,
    PropertyType,
    RiskLevel,
)
from .uscc import validate_uscc


class Institution(models.Model):
    """An elderly-care institution (检查对象名录库), keyed by its 统一社会信用代码.

    Its region and facts decide which departments' duties cover it; every regulated record carries a copy
    of both (`region_code`, `institution_facts`), kept in step by `institutions.tasks.sync_institution_records`.
    """

    name = models.CharField(_("机构名称"), max_length=128)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    legal_form = models.CharField(_("法人类型"), max_length=32, choices=LegalForm.choices, default=LegalForm.OTHER)
    profit_nature = models.CharField(
        _("营利性质"), max_length=16, choices=ProfitNature.choices, default=ProfitNature.NONPROFIT
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    person_in_charge = models.CharField(_("主要负责人"), max_length=64, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    residents = models.PositiveIntegerField(_("在住老年人数"), default=0)
    public_built_private_run = models.BooleanField(_("公建民营"), default=False)
    filing_status = models.CharField(
        _("备案状态"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.UNFILED, db_index=True
    )
    star_level = models.PositiveSmallIntegerField(_("等级（星级）"), null=True, blank=True)
    # Written by the credit app (a higher layer), read by the inspection draw (DESIGN §2).
    risk_level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    credit_list = models.CharField(_("信用名单"), max_length=8, choices=CreditList.choices, blank=True, default="")
    credit_grade = models.CharField(_("信用等级"), max_length=1, blank=True, default="")
    region = models.ForeignKey(
        Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="institutions"
    )
    region_code = models.CharField(_("区划前缀"), max_length=12, editable=False, db_index=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=InstitutionStatus.choices, default=InstitutionStatus.OPERATING
    )
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    building_area = models.DecimalField(_("建筑面积（㎡）"), max_digits=10, decimal_places=2, default=0)

    has_internal_medical_facility = models.BooleanField(
        InstitutionFact.HAS_INTERNAL_MEDICAL_FACILITY.label, default=False
    )
    medical_insurance_designated = models.BooleanField(
        InstitutionFact.MEDICAL_INSURANCE_DESIGNATED.label, default=False
    )
    provides_meals = models.BooleanField(InstitutionFact.PROVIDES_MEALS.label, default=False)
    has_special_equipment = models.BooleanField(InstitutionFact.HAS_SPECIAL_EQUIPMENT.label, default=False)
    receives_government_funds = models.BooleanField(InstitutionFact.RECEIVES_GOVERNMENT_FUNDS.label, default=False)
    eldercare_facility_land = models.BooleanField(InstitutionFact.ELDERCARE_FACILITY_LAND.label, default=False)
    nonprofit_on_allocated_land = models.BooleanField(InstitutionFact.NONPROFIT_ON_ALLOCATED_LAND.label, default=False)
    unregistered = models.BooleanField(InstitutionFact.UNREGISTERED.label, default=False)
    registered_not_filed = models.BooleanField(InstitutionFact.REGISTERED_NOT_FILED.label, default=False)
    home_community_service = models.BooleanField(InstitutionFact.HOME_COMMUNITY_SERVICE.label, default=False)
    medical_institution_providing_eldercare = models.BooleanField(
        InstitutionFact.MEDICAL_INSTITUTION_PROVIDING_ELDERCARE.label, default=False
    )
    major_fire_hazard = models.BooleanField(InstitutionFact.MAJOR_FIRE_HAZARD.label, default=False)
    facts = models.BigIntegerField(_("事实位图"), default=0, editable=False)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    # How the access engine reads this model: the institution is its own subject and has no domain.
    access_region_field = "region_code"
    access_domain_field = None
    access_facts_field = "facts"
    access_institution_field = "pk"

    class Meta:
        ordering = ["region_code", "name"]
        verbose_name = _("养老机构")
        verbose_name_plural = _("养老机构")
        permissions = action_permissions("institution")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.facts = self.compute_facts()
        self.region_code = self.region.scope_code
        super().save(*args, **kwargs)

    def compute_facts(self) -> int:
        return sum(bit for slug, bit in FACT_BITS.items() if getattr(self, slug))


class InstitutionUserObjectPermission(UserObjectPermissionBase):
    """An institution's own accounts (guardian direct FK grant): they see their institution's records."""

    content_object = models.ForeignKey(Institution, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("机构账号授权")
        verbose_name_plural = _("机构账号授权")


class RegulatedRecord(models.Model):
    """Base of every record a department acts on: one institution, one supervision domain.

    `region_code` and `institution_facts` are copies of the institution's, so that a department's statutory
    scope (region prefix × domains × facts) is answered by an index on this table alone (DESIGN §3).
    """

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="+")
    domain = models.ForeignKey(Domain, verbose_name=_("监管领域"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划前缀"), max_length=12, editable=False)
    institution_facts = models.BigIntegerField(_("机构事实位图"), default=0, editable=False)

    objects = RestrictedQuerySet.as_manager()

    access_region_field = "region_code"
    access_domain_field = "domain_id"
    access_facts_field = "institution_facts"
    access_institution_field = "institution_id"
    # Whether the institution's own accounts may read it (complaints set this False: they never see complainants).
    access_institution_may_view = True

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.copy_institution_columns()
        super().save(*args, **kwargs)

    def copy_institution_columns(self):
        self.region_code = self.institution.region_code
        self.institution_facts = self.institution.facts


def _upload_path(instance, filename):
    """Server-generated names: the uploader's file name is kept as data, never used on disk."""
    import os
    import uuid

    from django.utils import timezone

    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"filings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class PledgeTemplate(models.Model):
    """A version of the written credit pledge (信用承诺书) institutions sign when they file (seed 000 task 38)."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    title = models.CharField(_("标题"), max_length=128, default="养老机构备案信用承诺书")
    text = models.TextField(_("承诺书正文"))
    effective_from = models.DateField(_("启用日期"))
    active = models.BooleanField(_("当前版本"), default=False)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("信用承诺书模板")
        verbose_name_plural = _("信用承诺书模板")

    def __str__(self):
        return f"{self.title}（第{self.version}版）"


class Filing(RegulatedRecord):
    """A filing (备案), change filing or cancellation, from the institution to its district civil-affairs bureau."""

    kind = models.CharField(_("类型"), max_length=16, choices=FilingKind.choices, default=FilingKind.INITIAL)
    state = models.CharField(
        _("状态"), max_length=16, choices=FilingState.choices, default=FilingState.DRAFT, db_index=True
    )
    number = models.CharField(_("备案回执编号"), max_length=32, unique=True, null=True, blank=True)
    # The items of the MCA filing form (养老机构备案书).
    name = models.CharField(_("机构名称"), max_length=128)
    address = models.CharField(_("服务场所地址"), max_length=255)
    legal_representative = models.CharField(_("法定代表人"), max_length=64)
    person_in_charge = models.CharField(_("主要负责人"), max_length=64, blank=True)
    property_type = models.CharField(
        _("场所产权"), max_length=16, choices=PropertyType.choices, default=PropertyType.OWNED
    )
    beds = models.PositiveIntegerField(_("床位数"))
    building_area = models.DecimalField(_("建筑面积（㎡）"), max_digits=10, decimal_places=2)
    contact_person = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    service_scope = models.TextField(_("服务范围"), blank=True)
    # Review.
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_department = models.ForeignKey(
        Department,
        verbose_name=_("备案机关"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filings_reviewed",
    )
    missing_items = models.JSONField(_("需补正事项"), default=list, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    # Seed 001 row 7: filed but below accessibility or fire standards → marked here, departments notified.
    below_accessibility_standard = models.BooleanField(_("未达到无障碍设施标准"), default=False)
    below_fire_standard = models.BooleanField(_("未达到消防安全标准"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        indexes = [models.Index(fields=["domain", "region_code", "id"], name="filing_scope_idx")]
        permissions = action_permissions("filing")

    def __str__(self):
        return f"{self.get_kind_display()}：{self.name}"


class FilingMaterial(models.Model):
    """An uploaded filing material; read only through a permission-checked view (never a public URL)."""

    filing = models.ForeignKey(Filing, verbose_name=_("备案"), on_delete=models.PROTECT, related_name="materials")
    kind = models.CharField(_("材料类型"), max_length=32, choices=MaterialKind.choices)
    file = models.FileField(_("文件"), upload_to=_upload_path)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["filing_id", "kind", "id"]
        verbose_name = _("备案材料")
        verbose_name_plural = _("备案材料")

    def __str__(self):
        return f"{self.get_kind_display()}：{self.original_name}"


class PledgeSignature(models.Model):
    """Who signed which pledge text, when: the exact text is kept, whatever later versions say."""

    filing = models.OneToOneField(Filing, verbose_name=_("备案"), on_delete=models.PROTECT, related_name="pledge")
    template = models.ForeignKey(
        PledgeTemplate, verbose_name=_("承诺书版本"), on_delete=models.PROTECT, related_name="signatures"
    )
    text = models.TextField(_("签署时的承诺书全文"))
    signer_name = models.CharField(_("承诺人"), max_length=64)
    signer_title = models.CharField(_("职务"), max_length=64, default="法定代表人")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签署账号"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("签署时间"))

    class Meta:
        verbose_name = _("信用承诺签署")
        verbose_name_plural = _("信用承诺签署")

    def __str__(self):
        return f"{self.signer_name} {self.signed_at:%Y-%m-%d}"


class OnSiteCheck(RegulatedRecord):
    """The on-site check (现场检查) due within 20 working days of a filing (seed 004 2.5) or of discovering an
    unfiled operator (seed 001; seed 004 2.6)."""

    filing = models.ForeignKey(
        Filing, verbose_name=_("备案"), null=True, blank=True, on_delete=models.PROTECT, related_name="onsite_checks"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("负责部门"), on_delete=models.PROTECT, related_name="onsite_checks"
    )
    due_date = models.DateField(_("核查期限"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OnSiteCheckStatus.choices, default=OnSiteCheckStatus.PENDING, db_index=True
    )
    result = models.CharField(_("核查结果"), max_length=16, choices=OnSiteCheckResult.choices, blank=True)
    notes = models.TextField(_("核查情况"), blank=True)
    checked_on = models.DateField(_("核查日期"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("备案现场核查")
        verbose_name_plural = _("备案现场核查")
        permissions = action_permissions("onsitecheck")

    def __str__(self):
        return f"{self.institution} · {self.due_date}"


class Lead(models.Model):
    """A lead on an operator running without filing or registration (seed 001; seed 003 一(二); seed 004 2.6).

    Not yet an institution of the directory, so it carries its own region and domain; its facts say
    unregistered or registered-not-filed, which is what duties 000任务16–18 and 001-4–8 apply to.
    """

    operator_name = models.CharField(_("经营者名称"), max_length=128)
    address = models.CharField(_("地址"), max_length=255)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="leads")
    region_code = models.CharField(_("区划前缀"), max_length=12, editable=False)
    domain = models.ForeignKey(Domain, verbose_name=_("监管领域"), on_delete=models.PROTECT, related_name="+")
    institution_facts = models.BigIntegerField(_("事实位图"), default=0, editable=False)
    registered = models.BooleanField(
        _("已依法登记"), default=False, help_text=_("已登记未备案为是；未登记（无证无照）为否。")
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc])
    source = models.CharField(_("线索来源"), max_length=16, choices=LeadSource.choices)
    description = models.TextField(_("线索情况"))
    discovered_on = models.DateField(_("发现（收住老年人）日期"))
    due_date = models.DateField(_("现场检查期限"), db_index=True)
    state = models.CharField(_("状态"), max_length=16, choices=LeadState.choices, default=LeadState.OPEN, db_index=True)
    checked_on = models.DateField(_("现场检查日期"), null=True, blank=True)
    check_notes = models.TextField(_("现场检查情况"), blank=True)
    outcome = models.CharField(_("处置结果"), max_length=32, choices=LeadOutcome.choices, blank=True)
    outcome_note = models.TextField(_("处置说明"), blank=True)
    referred_to = models.ForeignKey(
        Department,
        verbose_name=_("移交部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads_received",
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("对应机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("负责部门"), on_delete=models.PROTECT, related_name="leads"
    )
    publicly_listed = models.BooleanField(_("列入未备案机构公开名单"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    access_region_field = "region_code"
    access_domain_field = "domain_id"
    access_facts_field = "institution_facts"
    access_institution_field = None

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("未备案/无证经营线索")
        verbose_name_plural = _("未备案/无证经营线索")
        permissions = action_permissions("lead")

    def __str__(self):
        return self.operator_name

    def save(self, *args, **kwargs):
        self.region_code = self.region.scope_code
        fact = InstitutionFact.REGISTERED_NOT_FILED if self.registered else InstitutionFact.UNREGISTERED
        self.institution_facts = FACT_BITS[fact]
        super().save(*args, **kwargs)


class DisclosureItem(RegulatedRecord):
    """One of the "十一个上墙" items an institution publishes (seed 001 row 41; seed 003: at least yearly)."""

    kind = models.CharField(_("公开事项"), max_length=32, choices=DisclosureKind.choices)
    content = models.TextField(_("公开内容"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["institution_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["institution", "kind"], name="one_disclosure_per_kind")]
        verbose_name = _("信息公开事项")
        verbose_name_plural = _("信息公开事项")
        permissions = action_permissions("disclosureitem")

    def __str__(self):
        return f"{self.institution} · {self.get_kind_display()}"


class StarRating(RegulatedRecord):
    """A rating (等级评定) of an institution: level, date, validity and the rating body (seed 004 2.9, 4.5)."""

    level = models.PositiveSmallIntegerField(_("等级（星）"), choices=[(n, f"{n}星") for n in range(1, 6)])
    rated_on = models.DateField(_("评定日期"))
    valid_until = models.DateField(_("有效期至"))
    rating_body = models.CharField(_("评定机构"), max_length=128)
    certificate_no = models.CharField(_("证书编号"), max_length=64, blank=True)

    class Meta:
        ordering = ["-rated_on", "-id"]
        verbose_name = _("等级评定")
        verbose_name_plural = _("等级评定")
        permissions = action_permissions("starrating")

    def __str__(self):
        return f"{self.institution} {self.level}星（{self.rated_on}）"


class IncidentReport(RegulatedRecord):
    """An emergency the institution reports (突发事件报告, seed 000 tasks 22, 24); its type decides its domain."""

    type = models.CharField(_("事件类型"), max_length=32, choices=IncidentType.choices)
    occurred_at = models.DateTimeField(_("发生时间"))
    people_affected = models.PositiveIntegerField(_("涉及人数"), default=0)
    injuries = models.PositiveIntegerField(_("受伤人数"), default=0)
    deaths = models.PositiveIntegerField(_("死亡人数"), default=0)
    description = models.TextField(_("事件经过"))
    measures = models.TextField(_("已采取措施"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报告人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("报告时间"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("突发事件报告")
        verbose_name_plural = _("突发事件报告")
        permissions = action_permissions("incidentreport")

    def __str__(self):
        return f"{self.institution} · {self.get_type_display()}"


class EmergencyDrill(RegulatedRecord):
    """An emergency drill the institution held; one is due every half year (seed 001 row 38)."""

    held_on = models.DateField(_("演练日期"))
    topic = models.CharField(_("演练内容"), max_length=128)
    participants = models.PositiveIntegerField(_("参加人数"), default=0)
    summary = models.TextField(_("演练总结"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("应急演练")
        verbose_name_plural = _("应急演练")
        permissions = action_permissions("emergencydrill")

    def __str__(self):
        return f"{self.institution} · {self.held_on}"
