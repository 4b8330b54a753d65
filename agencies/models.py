from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    JOB_FINISHED_STATES,
    Action,
    DepartmentLevel,
    InstitutionFact,
    JobState,
    OutboxState,
    RegionLevel,
    StaffRole,
    facts_mask,
)


class Region(models.Model):
    """A node of the administrative-division tree (GB/T 2260): city → district → street.

    `scope_code` is the significant prefix of the code (12 for 天津市 120000, 120101 for 和平区, the full
    code for a street); every regulated record carries its institution's `scope_code`, so "within my
    region" is a prefix test that an index answers as a range.
    """

    code = models.CharField(_("行政区划代码"), max_length=12, unique=True)
    scope_code = models.CharField(_("区划前缀"), max_length=12, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_code = self.scope_code_for(self.code, self.level)
        super().save(*args, **kwargs)

    @staticmethod
    def scope_code_for(code: str, level: str) -> str:
        if level == RegionLevel.CITY:
            return code[:2] if code.endswith("0000") else code[:4]
        if level == RegionLevel.DISTRICT:
            return code[:6]
        return code

    def contains(self, scope_code: str) -> bool:
        return scope_code.startswith(self.scope_code)


class Domain(models.Model):
    """A supervision domain (监管领域): every duty, checklist item and regulated record has one."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64, blank=True)
    description = models.TextField(_("说明"), blank=True)
    sources = models.CharField(_("依据"), max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("监管领域")
        verbose_name_plural = _("监管领域")

    def __str__(self):
        return self.name


class DepartmentKind(models.Model):
    """A line of government (民政, 消防救援, 市场监管 …), with the domains it answers for by its own statute."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    example_names = models.TextField(_("种子中的写法"), blank=True)
    competence = models.ManyToManyField(
        Domain, verbose_name=_("法定职责领域"), blank=True, related_name="competent_kinds"
    )
    competence_basis = models.TextField(_("职责依据"), blank=True)
    jurisdiction_applies_if = models.JSONField(
        _("管辖条件"),
        default=list,
        blank=True,
        help_text=_("该类部门只监管具备其中任一事实的机构（如医保部门只监管医保定点机构）；为空则不限。"),
    )
    is_collective = models.BooleanField(
        _("集合性责任主体"),
        default=False,
        help_text=_("如“领导小组成员单位”：不是单一部门，不据此授予数据权限。"),
    )
    city_name_pattern = models.CharField(_("市级名称格式"), max_length=64, blank=True)
    district_name_pattern = models.CharField(_("区级名称格式"), max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("部门类别")
        verbose_name_plural = _("部门类别")

    def __str__(self):
        return self.name


class Department(models.Model):
    """A department kind at a level over a region; its staff are the members of its one Group."""

    kind = models.ForeignKey(
        DepartmentKind, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="departments"
    )
    region = models.ForeignKey(Region, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="departments")
    level = models.CharField(_("层级"), max_length=16, choices=DepartmentLevel.choices)
    name = models.CharField(_("名称"), max_length=128, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department", editable=False)

    class Meta:
        ordering = ["region__code", "kind_id"]
        constraints = [models.UniqueConstraint(fields=["kind", "region"], name="one_department_per_kind_and_region")]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.group_id:
            self.group, _created = Group.objects.get_or_create(name=f"dept:{self.name}")
        super().save(*args, **kwargs)


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(_("角色"), max_length=16, choices=StaffRole.choices, default=StaffRole.STAFF)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.department}）"


class Duty(models.Model):
    """One row of the statutory duty catalog (责任清单): a seed task, its departments, domains and actions."""

    source_seed = models.CharField(_("来源文件"), max_length=64)
    task_no = models.CharField(_("任务编号"), max_length=16)
    requirement = models.CharField(_("要求/主要任务"), max_length=128, blank=True)
    text = models.TextField(_("任务原文"))
    text_clean = models.TextField(_("任务文本（整理）"))
    responsible_units = models.TextField(_("责任单位原文"), blank=True)
    department_kinds = models.ManyToManyField(DepartmentKind, verbose_name=_("责任部门"), related_name="duties")
    lead_kind = models.ForeignKey(
        DepartmentKind,
        verbose_name=_("牵头部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_duties",
    )
    domains = models.ManyToManyField(Domain, verbose_name=_("监管领域"), related_name="duties")
    actions = models.JSONField(_("允许的操作"), default=list)
    action_limits = models.JSONField(
        _("操作限定部门"), default=dict, blank=True,
        help_text=_(
            "某项操作只授予所列部门类别，如 {\"review_filing\": [\"civil_affairs\"]}："
            "联合任务中备案审核仍归备案民政部门。"
        ),
    )
    applies_if = models.JSONField(
        _("适用条件"),
        default=list,
        blank=True,
        help_text=_("机构事实（任一成立即适用）；为空则适用于所有机构。"),
    )
    source_lines = models.CharField(_("原文行号"), max_length=32, blank=True)
    note = models.TextField(_("备注"), blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["source_seed", "id"]
        constraints = [models.UniqueConstraint(fields=["source_seed", "task_no"], name="unique_duty_per_seed_task")]
        verbose_name = _("监管职责")
        verbose_name_plural = _("监管职责清单")

    def __str__(self):
        return f"{self.reference}：{self.text_clean[:40]}"

    @property
    def seed_prefix(self) -> str:
        return self.source_seed[:3]

    @property
    def reference(self) -> str:
        """How the seeds are cited: 000任务4, 001-16."""
        return self.task_no if self.task_no.startswith("001-") else f"{self.seed_prefix}任务{self.task_no}"

    @property
    def conditions_mask(self) -> int:
        return facts_mask(self.applies_if)

    def clean(self):
        from django.core.exceptions import ValidationError

        bad_actions = set(self.actions) - set(Action.values)
        if bad_actions:
            raise ValidationError({"actions": _("未知操作：%s") % "、".join(sorted(bad_actions))})
        if not isinstance(self.action_limits, dict) or set(self.action_limits) - set(self.actions):
            raise ValidationError({"action_limits": _("只能限定本职责允许的操作。")})
        bad_facts = set(self.applies_if) - set(InstitutionFact.values)
        if bad_facts:
            raise ValidationError({"applies_if": _("未知机构事实：%s") % "、".join(sorted(bad_facts))})


class CalendarDay(models.Model):
    """A day the holiday package does not know, entered by an administrator (e.g. next year's 调休)."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=64, blank=True, help_text=_("如：春节、国庆节调休上班"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")

    def __str__(self):
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """Marks a year whose holidays an administrator has entered completely."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(_("已完整录入"), default=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self):
        return str(self.year)


class AuditEventQuerySet(models.QuerySet):
    """No bulk update or delete: the trail is append-only (the database refuses too, see migration 0005)."""

    def update(self, **kwargs):
        raise PermissionError("audit rows are append-only")

    def delete(self):
        raise PermissionError("audit rows are append-only; `manage.py purge_audit` removes expired rows")


class AuditEvent(models.Model):
    """One row per state change, written by the service in the same transaction as the change.

    Append-only and hash-chained (agencies.audit): `row_hash` is the SHA-256 of the row's canonical form,
    which includes `prev_hash`, the hash of the row before it. `manage.py verify_audit` walks the chain.
    The actor and department keys carry no database constraint: deleting a user must neither rewrite
    (SET NULL) nor lose (CASCADE) the rows that name them, and `actor_name` keeps who it was.
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+"
    )
    verb = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)
    prev_hash = models.CharField(_("前一条摘要"), max_length=64, editable=False)
    row_hash = models.CharField(_("本条摘要"), max_length=64, editable=False, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self.row_hash:
            raise PermissionError("audit rows are written once, by agencies.audit")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit rows are append-only")



class AuditChainHead(models.Model):
    """The one row every audit writer locks (serialising the chain) and that remembers the last hash,
    so that removing the newest rows is detected too."""

    last_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self):
        return f"{self.last_id}: {self.last_hash}"


class LoginSession(models.Model):
    """A session opened by a login, so that an administrator (or deactivating the user) can end them all."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class PasswordRecord(models.Model):
    """When the user's password was last set (the 等保 rotation rule reads it)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_record")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("密码设置时间")
        verbose_name_plural = _("密码设置时间")

    def __str__(self):
        return f"{self.user_id} {self.changed_at:%Y-%m-%d}"


class BackgroundJob(models.Model):
    """Long work run by a Celery worker (an import, an export, a draw's follow-up, a bulk recompute), with its
    progress, so that the user who started it can leave the page and come back (agencies.jobs).

    It lives in the lowest app because institutions, inspections and credit all start jobs. It belongs to its
    owner, not to an institution: it is not a regulated record, and only its owner may read it.
    """

    kind = models.CharField(_("类型"), max_length=60)
    title = models.CharField(_("名称"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="background_jobs",
                              verbose_name=_("发起人"))
    state = models.CharField(_("状态"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    # What the work produced: a page to go to, a file to download, and a small report (counts, row errors).
    result_url = models.CharField(_("结果链接"), max_length=300, blank=True)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("结果文件名"), max_length=200, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created")]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in JOB_FINISHED_STATES

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0


class OutboxMessage(models.Model):
    """A side effect owed after a commit (an e-mail, a signal to the apps above), written in the same transaction
    as the record that owes it (agencies.outbox): a broker that is down, or a worker that dies, loses nothing.

    `task` names the Celery task that performs it and `args` its arguments (ids only). Delivery runs the task
    under this row's lock and marks the row sent in the same transaction, so each message takes effect once.
    """

    task = models.CharField(_("任务"), max_length=200)
    args = models.JSONField(_("参数"), default=list, blank=True)
    key = models.CharField(_("去重键"), max_length=200, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        constraints = [models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""),
                                               name="one_outbox_message_per_key")]
        indexes = [models.Index(fields=["next_attempt_at"], condition=models.Q(state=OutboxState.PENDING),
                                name="outbox_pending_due")]

    def __str__(self):
        return f"{self.task}{tuple(self.args)} ({self.get_state_display()})"
