import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("监督检查")

    def ready(self):
        from .signals import draw_executed

        draw_executed.connect(_schedule_drawn_inspections, dispatch_uid="inspections.schedule_drawn_inspections")


def _schedule_drawn_inspections(sender, draw_id, **kwargs):
    from .tasks.inspections import schedule_drawn_inspections

    try:
        schedule_drawn_inspections.delay(draw_id)
    except Exception:  # the broker is down: the draw stands, and the hourly sweep schedules its inspections
        logging.getLogger(__name__).warning("draw %s: follow-up not queued; the sweep will pick it up", draw_id)
