from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive_int(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 1 else None


class StandardPagination(PageNumberPagination):
    """Page numbers, with `page_size` up to 1000 (a larger ask gets 1000).

    A `page` or `page_size` that is not a positive integer answers 400 naming the parameter (DRF would
    answer 404 for the page and silently fall back to 50 rows for the size); a page past the end stays 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _positive_int(raw)
        if size is None:
            raise ValidationError({self.page_size_query_param: [_("每页条数须为正整数。")]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, 1)
        if raw in self.last_page_strings or _positive_int(str(raw)) is not None:
            return raw
        raise ValidationError({self.page_query_param: [_("页码须为正整数。")]})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
