"""Filters of the dashboard page."""

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A share between 0 and 1 as "75.0%"; "—" when there is nothing to divide by."""
    return "—" if value is None else f"{value * 100:.1f}%"
