"""`{% public_inspection_results institution.pk %}`: the published inspection results of one institution, for its
public page (the institutions app sits below this one and cannot ask for them itself)."""

from django import template

from ..selectors import public_results

register = template.Library()


@register.inclusion_tag("inspections/_public_results_section.html")
def public_inspection_results(institution_id, limit=5):
    return {"results": list(public_results().filter(institution_id=institution_id)[:limit])}
