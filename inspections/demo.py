"""Demo data of the inspections app: the inspector directory entries of the demo inspectors, and inspections in
every state at 和平区 and 河西区 institutions (called from portal.demo with one line; idempotent)."""

from agencies.models import StaffProfile

from .models import Inspector

# username → domains of expertise (the demo accounts of portal.demo.DEMO_STAFF with the inspector role)
DEMO_INSPECTORS = {
    "inspector_1": ("service_safety", "registration_filing"),
    "inspector_2": ("fire_safety",),
    "inspector_3": ("food_safety", "special_equipment"),
    "inspector_4": ("service_safety",),
}


def ensure_demo_inspectors() -> dict:
    """The demo inspectors' directory entries (created once, keyed by their staff profile)."""
    from agencies.models import Domain

    found = {}
    for username, domain_codes in DEMO_INSPECTORS.items():
        profile = StaffProfile.objects.select_related("department", "user").filter(user__username=username).first()
        if profile is None:
            continue
        inspector, created = Inspector.objects.get_or_create(staff=profile, defaults={"department": profile.department})
        if created:
            inspector.domains.set(Domain.objects.filter(code__in=domain_codes))
        found[username] = inspector
    return found
