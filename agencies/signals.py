"""Any change to what decides a department's scope invalidates every cached scope at once."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import calendar  # noqa: F401  (connects its cache invalidation on CalendarDay/CalendarYear changes)
from .access import invalidate_scopes
from .models import Department, DepartmentKind, Duty, StaffProfile

for model in (Duty, DepartmentKind, Department, StaffProfile):
    post_save.connect(invalidate_scopes, sender=model, dispatch_uid=f"scope-save-{model.__name__}")
    post_delete.connect(invalidate_scopes, sender=model, dispatch_uid=f"scope-delete-{model.__name__}")
for through in (Duty.department_kinds.through, Duty.domains.through, DepartmentKind.competence.through):
    m2m_changed.connect(invalidate_scopes, sender=through, dispatch_uid=f"scope-m2m-{through.__name__}")


def connect_grant_receivers() -> None:
    """Hand-off memos (access.handoffs) are stale once any grant table or a group membership changes."""
    from django.contrib.auth import get_user_model

    from .access import grant_tables, grants_changed

    for _model, table, _is_group in grant_tables():
        post_save.connect(grants_changed, sender=table, dispatch_uid=f"grants-save-{table._meta.label_lower}")
        post_delete.connect(grants_changed, sender=table, dispatch_uid=f"grants-delete-{table._meta.label_lower}")
    m2m_changed.connect(grants_changed, sender=get_user_model().groups.through, dispatch_uid="grants-groups")
