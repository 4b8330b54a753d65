from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from agencies.access import RestrictedQuerySet
from agencies.choices import FACT_BITS, InstitutionFact
from agencies.models import Domain, Region

from .choices import InstitutionStatus, LegalForm


class Institution(models.Model):
    """An elderly-care institution (检查对象名录库), keyed by its 统一社会信用代码.

    Its region and facts decide which departments' duties cover it; every regulated record carries a copy
    of both (`region_code`, `institution_facts`), kept in step by `institutions.tasks.sync_institution_records`.
    """

    name = models.CharField(_("机构名称"), max_length=128)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_form = models.CharField(_("法人类型"), max_length=32, choices=LegalForm.choices, default=LegalForm.OTHER)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="institutions")
    region_code = models.CharField(_("区划前缀"), max_length=12, editable=False, db_index=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=InstitutionStatus.choices, default=InstitutionStatus.OPERATING)
    beds = models.PositiveIntegerField(_("床位数"), default=0)
    building_area = models.DecimalField(_("建筑面积（㎡）"), max_digits=10, decimal_places=2, default=0)

    has_internal_medical_facility = models.BooleanField(InstitutionFact.HAS_INTERNAL_MEDICAL_FACILITY.label, default=False)
    medical_insurance_designated = models.BooleanField(InstitutionFact.MEDICAL_INSURANCE_DESIGNATED.label, default=False)
    provides_meals = models.BooleanField(InstitutionFact.PROVIDES_MEALS.label, default=False)
    has_special_equipment = models.BooleanField(InstitutionFact.HAS_SPECIAL_EQUIPMENT.label, default=False)
    receives_government_funds = models.BooleanField(InstitutionFact.RECEIVES_GOVERNMENT_FUNDS.label, default=False)
    eldercare_facility_land = models.BooleanField(InstitutionFact.ELDERCARE_FACILITY_LAND.label, default=False)
    nonprofit_on_allocated_land = models.BooleanField(InstitutionFact.NONPROFIT_ON_ALLOCATED_LAND.label, default=False)
    unregistered = models.BooleanField(InstitutionFact.UNREGISTERED.label, default=False)
    registered_not_filed = models.BooleanField(InstitutionFact.REGISTERED_NOT_FILED.label, default=False)
    home_community_service = models.BooleanField(InstitutionFact.HOME_COMMUNITY_SERVICE.label, default=False)
    medical_institution_providing_eldercare = models.BooleanField(
        InstitutionFact.MEDICAL_INSTITUTION_PROVIDING_ELDERCARE.label, default=False)
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
        permissions = [(f"{a}_institution", f"Can {a} institution") for a in (
            "inspect", "record_finding", "verify_rectification", "accept_referral", "handle_complaint",
            "record_penalty", "propose_list_entry", "review_filing")]

    def __str__(self):
        return self.name

    def compute_facts(self) -> int:
        return sum(bit for slug, bit in FACT_BITS.items() if getattr(self, slug))

    def save(self, *args, **kwargs):
        self.facts = self.compute_facts()
        self.region_code = self.region.scope_code
        super().save(*args, **kwargs)


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

    def copy_institution_columns(self):
        self.region_code = self.institution.region_code
        self.institution_facts = self.institution.facts

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.copy_institution_columns()
        super().save(*args, **kwargs)
