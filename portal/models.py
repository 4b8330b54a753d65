"""The shell's own records: each user's notifications (in-app inbox and e-mail) and how they want them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    NEW_WORK = "new_work", _("新的待办")
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已逾期")


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("即时邮件")
    DIGEST = "digest", _("每日汇总邮件")
    NONE = "none", _("不发邮件（仅站内）")


class Notification(models.Model):
    """One message in a user's inbox. `key` makes creation idempotent: the same event for the same user is one
    row however often a signal or the daily scan fires; `emailed_at` makes e-mail idempotent the same way."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("类型"), max_length=12, choices=NotificationKind.choices)
    source = models.CharField(_("待办类别"), max_length=16, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    link = models.CharField(_("链接"), max_length=300)
    key = models.CharField(_("去重键"), max_length=120)
    created = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at", "-created"], name="notification_inbox_idx")]

    def __str__(self):
        return f"{self.recipient} · {self.title}"


class NotificationPreference(models.Model):
    """How a user wants to be e-mailed; without a row, immediately."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    delivery = models.CharField(_("邮件提醒方式"), max_length=12, choices=Delivery.choices,
                                default=Delivery.IMMEDIATE)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self):
        return f"{self.user} · {self.get_delivery_display()}"
