from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("部门与职责")

    def ready(self):
        from . import security, signals

        security.connect_security_receivers()
        signals.connect_grant_receivers()
