from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.choices import action_permissions
from agencies.models import Department
from institutions.models import RegulatedRecord


class Finding(RegulatedRecord):
    """A problem or hazard (问题/隐患) found at an institution, in one supervision domain."""

    text = models.TextField(_("问题描述"))
    found_by = models.ForeignKey(Department, verbose_name=_("发现部门"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="findings_found")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("问题隐患")
        verbose_name_plural = _("问题隐患")
        indexes = [
            # The statutory scope: domain IN (…) AND region_code in [prefix, next prefix).
            models.Index(fields=["domain", "region_code", "id"], name="finding_scope_idx"),
            models.Index(fields=["region_code", "id"], name="finding_region_idx"),
            models.Index(fields=["institution", "id"], name="finding_institution_idx"),
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
