"""Admin base classes shared by every app: records change only through their services, never in the admin."""

from django.contrib import admin

from .choices import Action


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RestrictedReadOnlyAdmin(ReadOnlyAdmin):
    """A regulated record's admin: its list goes through restrict(), as every other read does."""

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, Action.VIEW)
