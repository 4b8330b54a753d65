"""The shell's pages, one module per capability: home (public and staff homes), the work queue, notifications,
and what later issues add (dashboard, the public site)."""

from .dashboard import dashboard, evaluation_export
from .home import public_home, staff_home
from .notifications import inbox, notification_open, notification_preference, notification_read_all
from .work import work_badge, work_queue

__all__ = ["dashboard", "evaluation_export", "inbox", "notification_open", "notification_preference",
           "notification_read_all", "public_home", "staff_home", "work_badge", "work_queue"]
