"""Reads about departments and their staff that every app needs."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import Department, StaffProfile


def department_of(user) -> Department | None:
    """The user's department: None for the public, institution accounts and the system.

    One query per user object (the profile with its department), cached on the user's `staff_profile`
    accessor, so a service that asks several times — the audit row, the access check, the notification — pays once.
    """
    if user is None or not user.is_authenticated:
        return None
    accessor = get_user_model().staff_profile.related  # (request.user is a lazy wrapper: not type(user))
    if not accessor.is_cached(user):
        accessor.set_cached_value(user, StaffProfile.objects.select_related("department")
                                  .filter(user_id=user.pk).first())
    profile = accessor.get_cached_value(user)
    return profile.department if profile is not None else None
