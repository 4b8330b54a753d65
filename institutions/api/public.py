"""The public directory API (`/api/v1/public/institutions/`): the same fields as the public pages, no login.

Reads `selectors.public_institutions()`, the disclosure rule, not `restrict()` (see the selector for why).
"""

from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from ..forms.directory import DirectorySearchForm
from ..selectors import public_institution_detail


class PublicInstitutionSerializer(serializers.Serializer):
    """An institution as published: nothing about people (no phones, contacts or representatives)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()
    legal_form = serializers.CharField()
    legal_form_display = serializers.CharField(source="get_legal_form_display")
    profit_nature = serializers.CharField()
    profit_nature_display = serializers.CharField(source="get_profit_nature_display")
    district = serializers.CharField(source="region.name")
    address = serializers.CharField()
    beds = serializers.IntegerField()
    filing_status = serializers.CharField()
    filing_status_display = serializers.CharField(source="get_filing_status_display")
    star_level = serializers.IntegerField(allow_null=True)


class PublicPledgeSerializer(serializers.Serializer):
    text = serializers.CharField()
    signer_title = serializers.CharField()
    signed_at = serializers.DateTimeField()


class PublicDisclosureSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    content = serializers.CharField()
    updated_at = serializers.DateTimeField()


class PublicInstitutionDetailSerializer(PublicInstitutionSerializer):
    pledge = serializers.SerializerMethodField()
    disclosures = PublicDisclosureSerializer(source="public_disclosures", many=True)

    def get_pledge(self, obj) -> dict | None:
        filing = obj.approved_filing
        pledge = getattr(filing, "pledge", None) if filing is not None else None
        return PublicPledgeSerializer(pledge).data if pledge is not None else None


class PublicInstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Published institutions; filter with q, district (region id), legal_form, star_level, filing_status."""

    permission_classes = [AllowAny]
    authentication_classes = []  # public: no session, so no CSRF or login state matters here
    serializer_class = PublicInstitutionSerializer
    filter_backends = []  # the search form does the filtering, the same as on the public page

    def get_queryset(self):
        return DirectorySearchForm(self.request.query_params or None).results()

    def get_object(self):
        from django.http import Http404

        from ..models import Institution

        try:
            return public_institution_detail(int(self.kwargs["pk"]))
        except (Institution.DoesNotExist, ValueError):
            raise Http404 from None

    def get_serializer_class(self):
        return PublicInstitutionDetailSerializer if self.action == "retrieve" else PublicInstitutionSerializer
