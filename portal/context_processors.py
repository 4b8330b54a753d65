def navigation(request):
    """Role-aware navigation: what the signed-in user is (staff of a department, institution, admin)."""
    user = getattr(request, "user", None)
    profile = None
    if user is not None and user.is_authenticated:
        profile = getattr(user, "staff_profile", None) if hasattr(user, "staff_profile") else None
    return {"nav_profile": profile}
