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
    """After a draw's commit: its planned inspections, as a background job of whoever executed the draw (they can
    watch it; the job's start is owed through the outbox, so a broker that is down delays it and loses nothing);
    a draw executed by nobody in particular gets the plain task."""
    from django.utils.translation import gettext as _

    from agencies.jobs import job_create

    from .models import Draw
    from .tasks.inspections import DRAW_SCHEDULE_JOB_KIND, schedule_drawn_inspections, schedule_drawn_inspections_job

    try:
        draw = Draw.objects.select_related("executed_by", "plan").get(pk=draw_id)
        if draw.executed_by is not None:
            job_create(draw.executed_by, DRAW_SCHEDULE_JOB_KIND,
                       _("为抽中的机构安排检查：%(draw)s") % {"draw": draw}, schedule_drawn_inspections_job, draw_id,
                       total=draw.assignments.count())
        else:
            schedule_drawn_inspections.delay(draw_id)
    except Exception:  # the broker is down (the plain task): the draw stands, and the hourly sweep schedules them
        logging.getLogger(__name__).warning("draw %s: follow-up not queued; the sweep will pick it up", draw_id)
