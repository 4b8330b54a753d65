"""Complaints (投诉举报): taken in by civil affairs, routed to the competent department, answered in time.

A complaint is a regulated record (DESIGN §3) whose access domain is always 投诉举报与社会监督 and whose
statutory readers are civil affairs and the territorial government only (`access_statutory_kinds`): seed 000
task 26 "民政牵头、归口负责" — civil affairs takes every complaint in, and a partner department handles the
complaints routed to it. The catalog gives partner departments `view` and `handle_complaint` over the
complaints domain too (task 26 is joint), so without that limit market regulation would read every complaint
of its district; routing (a guardian direct-FK grant to the department's Group) is what lets it in.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from agencies.choices import action_permissions
from agencies.models import Department, Domain, Region
from institutions.models import Institution, Lead, RegulatedRecord

from .choices import Category, Channel, ComplaintState, NoteKind, NotificationKind, Outcome, Priority, RoutingRole


class Complaint(RegulatedRecord):
    # The operator complained about may be unknown to the directory: then its name, address and region are kept.
    institution = models.ForeignKey(Institution, verbose_name=_("被投诉机构"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    supervision_domain = models.ForeignKey(Domain, verbose_name=_("所涉监管领域"), on_delete=models.PROTECT,
                                           related_name="+")
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+")
    operator_name = models.CharField(_("被投诉单位名称"), max_length=128, blank=True)
    operator_address = models.CharField(_("被投诉单位地址"), max_length=255, blank=True)

    code = models.CharField(_("查询码"), max_length=16, unique=True)
    secret_hash = models.CharField(_("查询密码（摘要）"), max_length=64)
    category = models.CharField(_("投诉类别"), max_length=32, choices=Category.choices, db_index=True)
    priority = models.CharField(_("紧急程度"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(_("状态"), max_length=16, choices=ComplaintState.choices,
                             default=ComplaintState.SUBMITTED, db_index=True)
    channel = models.CharField(_("来源渠道"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    description = models.TextField(_("投诉内容"))
    occurred_on = models.DateField(_("发生时间"), null=True, blank=True)
    # Personal data (PIPL art. 6, 28): shown only to the intake bureau and the handling departments.
    complainant_name = models.CharField(_("投诉人姓名"), max_length=64, blank=True)
    complainant_phone_encrypted = models.TextField(_("投诉人电话（加密）"), blank=True)
    consent = models.BooleanField(_("同意处理个人信息"), default=False)
    duplicate_key = models.CharField(_("重复判断摘要"), max_length=64, db_index=True, editable=False)
    merged_into = models.ForeignKey("self", verbose_name=_("合并至"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged")

    intake_department = models.ForeignKey(Department, verbose_name=_("受理部门"), on_delete=models.PROTECT,
                                          related_name="complaints_taken_in")
    submitted_at = models.DateTimeField(_("投诉时间"), default=timezone.now, db_index=True)
    acknowledge_due = models.DateField(_("签收期限"))
    answer_due = models.DateField(_("答复期限"), db_index=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    reminded_on = models.DateField(_("到期提醒日期"), null=True, blank=True)
    escalated_on = models.DateField(_("逾期督办日期"), null=True, blank=True)

    outcome = models.CharField(_("核实结论"), max_length=24, choices=Outcome.choices, blank=True)
    decided_on = models.DateField(_("核实日期"), null=True, blank=True)
    measures = models.TextField(_("处理措施"), blank=True)
    reply = models.TextField(_("答复意见"), blank=True)
    referral_note = models.TextField(_("移送/告知说明"), blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度评价"), null=True, blank=True,
                                              choices=[(n, str(n)) for n in range(1, 6)])
    rating_comment = models.TextField(_("评价意见"), blank=True)
    case_inspection_requested_at = models.DateTimeField(_("申请个案检查时间"), null=True, blank=True)
    # The case inspection (unannounced) opened from this complaint; complaints and inspections share a layer.
    case_inspection = models.ForeignKey("inspections.Inspection", verbose_name=_("个案检查"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="complaints")
    lead = models.ForeignKey(Lead, verbose_name=_("未备案经营线索"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="complaints")

    # Civil affairs (and the district government, read-only) hold complaints by duty; others only when routed.
    access_statutory_kinds = ("civil_affairs", "district_government")
    # The institution complained about never reads the complaint — and so never the complainant.
    access_institution_may_view = False

    class Meta:
        ordering = ["answer_due", "id"]
        verbose_name = _("投诉举报")
        verbose_name_plural = _("投诉举报")
        permissions = action_permissions("complaint")
        indexes = [models.Index(fields=["domain", "region_code", "id"], name="complaint_scope_idx")]

    def __str__(self):
        return f"{self.code} · {self.subject_name}"

    @property
    def subject_name(self) -> str:
        return self.institution.name if self.institution_id else self.operator_name

    @property
    def is_anonymous(self) -> bool:
        return not (self.complainant_name or self.complainant_phone_encrypted)

    def copy_institution_columns(self):
        if self.institution_id:
            self.region_code = self.institution.region_code
            self.institution_facts = self.institution.facts
        else:
            self.region_code = self.region.scope_code
            self.institution_facts = 0

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.state in ("submitted", "routed", "handling") and self.answer_due < today


class ComplaintGroupObjectPermission(GroupObjectPermissionBase):
    """Routing: a hand-off of one complaint to a department's Group (guardian direct FK grant)."""

    content_object = models.ForeignKey(Complaint, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("投诉转办授权")
        verbose_name_plural = _("投诉转办授权")


class ComplaintRouting(models.Model):
    """Which department handles a complaint (主办 or 协办), routed by whom and when, signed for when."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="routings")
    department = models.ForeignKey(Department, verbose_name=_("办理部门"), on_delete=models.PROTECT,
                                   related_name="complaint_routings")
    role = models.CharField(_("分工"), max_length=8, choices=RoutingRole.choices, default=RoutingRole.LEAD)
    routed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("转办人"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    routed_at = models.DateTimeField(_("转办时间"), default=timezone.now)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["complaint_id", "role", "id"]
        verbose_name = _("投诉转办")
        verbose_name_plural = _("投诉转办")
        constraints = [models.UniqueConstraint(fields=["complaint", "department"], condition=models.Q(active=True),
                                               name="one_active_routing_per_department")]

    def __str__(self):
        return f"{self.complaint.code} → {self.department}"


def _attachment_path(instance, filename):
    """Server-generated names; the uploader's name is data, never a path."""
    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"complaints/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="attachments")
    file = models.FileField(_("文件"), upload_to=_attachment_path)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["complaint_id", "id"]
        verbose_name = _("投诉附件")
        verbose_name_plural = _("投诉附件")

    def __str__(self):
        return self.original_name


class ComplaintNote(models.Model):
    """What the complainant added later, and the replies sent: the thread the tracking page shows."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("类型"), max_length=8, choices=NoteKind.choices)
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["complaint_id", "created_at", "id"]
        verbose_name = _("投诉补充与答复")
        verbose_name_plural = _("投诉补充与答复")

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"


class ComplaintNotification(models.Model):
    """A notification to a department, written in the complaint's own transaction together with the shared outbox
    message (agencies.outbox) that owes its delivery: a lost broker never loses it, and a mail server that keeps
    failing is retried with backoff a bounded number of times, then shown as failed with its last error.

    Its text never names the complainant (departments open the complaint to see that, and the read is logged).
    """

    complaint = models.ForeignKey(Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("类型"), max_length=16, choices=NotificationKind.choices)
    department = models.ForeignKey(Department, verbose_name=_("接收部门"), on_delete=models.PROTECT,
                                   related_name="+")
    leaders_only = models.BooleanField(_("仅发部门领导"), default=False)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True, db_index=True)
    outbox = models.OneToOneField("agencies.OutboxMessage", verbose_name=_("待发消息"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="complaint_notification")

    class Meta:
        ordering = ["id"]
        verbose_name = _("投诉通知")
        verbose_name_plural = _("投诉通知")

    def __str__(self):
        return f"{self.get_kind_display()} → {self.department}"

    # The delivery's state, attempts and last error are the outbox message's.
    @property
    def state(self) -> str:
        return self.outbox.state if self.outbox_id else ""

    @property
    def attempts(self) -> int:
        return self.outbox.attempts if self.outbox_id else 0

    @property
    def last_error(self) -> str:
        return self.outbox.last_error if self.outbox_id else ""
