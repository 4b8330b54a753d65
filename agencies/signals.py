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
