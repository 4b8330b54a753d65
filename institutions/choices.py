from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionStatus(models.TextChoices):
    OPERATING = "operating", _("正常运营")
    SUSPENDED = "suspended", _("停业整顿")
    CLOSED = "closed", _("已关闭")


class LegalForm(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SOCIAL_SERVICE = "social_service", _("社会服务机构（民办非企业单位）")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    INDIVIDUAL = "individual", _("个体工商户")
    OTHER = "other", _("其他")
