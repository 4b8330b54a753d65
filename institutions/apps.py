from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _never_delete(request, obj=None):
    return False


def forbid_admin_hard_delete(site):
    """No regulated record is ever hard-deleted through the admin (issue 8 item 6: withdrawals and corrections
    are new states with a reason). Applied to every registered ModelAdmin of a RegulatedRecord subclass, so an
    app's admin cannot forget it; without the delete permission Django also drops the "delete selected"
    action and the delete view answers 403."""
    from .models import RegulatedRecord

    for model, model_admin in site._registry.items():
        if issubclass(model, RegulatedRecord):
            model_admin.has_delete_permission = _never_delete


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("养老机构")

    def ready(self):
        # django.contrib.admin (first in INSTALLED_APPS) has imported every app's admin module by now.
        from django.contrib import admin

        forbid_admin_hard_delete(admin.site)
