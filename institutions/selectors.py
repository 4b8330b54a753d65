"""Reads for the institutions app that are not a department's statutory scope."""

from django.db.models import Q
from django.utils import timezone

from .choices import DisclosureKind, FilingState, FilingStatus, InstitutionStatus
from .models import DisclosureItem, Filing, Institution, StarRating

# Disclosure rule for the public directory (seed 001 row 9; seed 003 一、二(一)):
# every institution that is not closed is listed with where it stands with its filing — filed, pending,
# returned for completion, or unfiled (the public list of operators running without filing). A closed
# institution, or one whose filing is cancelled, no longer offers elderly care and is left out.
PUBLIC_FILING_STATUSES = (FilingStatus.FILED, FilingStatus.PENDING, FilingStatus.RETURNED, FilingStatus.UNFILED)

# The only institution columns the public may read: no phone, no contact person, no legal representative,
# no ID numbers, no internal facts or notes. The HTML page and the public API both read this list.
PUBLIC_FIELDS = ("id", "name", "uscc", "legal_form", "profit_nature", "region", "address", "beds",
                 "filing_status", "star_level", "status", "region_code")


def public_institutions():
    """Institutions the public directory lists.

    This deliberately bypasses `Institution.objects.restrict()`: restrict() answers "which records does this
    department's statutory duty cover", whereas the public directory is a disclosure rule that applies to
    everyone alike (DESIGN §3, last paragraph). `.only(PUBLIC_FIELDS)` keeps private columns out of the
    query, so a template that reached for one would cost a query per row and fail the query-count tests.
    """
    return (Institution.objects
            .filter(filing_status__in=PUBLIC_FILING_STATUSES)
            .exclude(status=InstitutionStatus.CLOSED)
            .select_related("region")
            .only(*PUBLIC_FIELDS, "region__name", "region__code")
            .order_by("region_code", "name", "id"))


def public_institution_detail(pk: int) -> Institution:
    """One public institution with its approved filing's pledge, disclosure items and current rating.

    Raises Institution.DoesNotExist for an institution the public may not see.
    """
    approved = (Filing.objects.filter(state=FilingState.APPROVED)
                .select_related("pledge")
                .only("id", "institution_id", "number", "reviewed_at", "pledge__text", "pledge__signer_title",
                      "pledge__signed_at", "pledge__filing_id")
                .order_by("-reviewed_at", "-id"))
    institution = public_institutions().get(pk=pk)
    institution.approved_filing = approved.filter(institution_id=institution.pk).first()
    # In the order of the "十一个上墙" list, not alphabetically by code.
    order = {kind: n for n, kind in enumerate(DisclosureKind.values)}
    institution.public_disclosures = sorted(
        DisclosureItem.objects.filter(institution_id=institution.pk).only("kind", "content", "updated_at",
                                                                          "institution_id"),
        key=lambda item: order.get(item.kind, len(order)))
    institution.current_rating = current_rating(institution.pk)
    return institution


def current_rating(institution_id: int):
    return (StarRating.objects.filter(institution_id=institution_id, valid_until__gte=timezone.localdate())
            .only("level", "rated_on", "valid_until", "rating_body", "institution_id")
            .order_by("-rated_on", "-id").first())


def search_public_institutions(*, q="", district=None, legal_form="", star_level=None, filing_status=""):
    """The public directory's search: name (or USCC), district, legal form, star rating, filing status."""
    qs = public_institutions()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc=q.strip().upper()))
    if district is not None:
        qs = qs.filter(region_code__startswith=district.scope_code)
    if legal_form:
        qs = qs.filter(legal_form=legal_form)
    if star_level:
        qs = qs.filter(star_level=star_level)
    if filing_status:
        qs = qs.filter(filing_status=filing_status)
    return qs
