"""The shell's pages, one module per capability: home (public and staff homes), and what later issues add
(work queue, dashboard, notifications, the public site)."""

from .dashboard import dashboard, evaluation_export
from .home import public_home, staff_home

__all__ = ["dashboard", "evaluation_export", "public_home", "staff_home"]
