"""agencies.widgets write the markup of Django's widget templates in Python: it must be the same, byte for byte,
as Django's own rendering of the same widget, bound or not, with errors, with text that needs escaping."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies import widgets
from agencies.models import Region
from complaints.forms import ComplaintForm

pytestmark = pytest.mark.django_db


def stock(bound_field) -> str:
    """The field rendered by the Django widget class its agencies.widgets class stands in for."""
    widget = bound_field.field.widget
    own = type(widget)
    django_base = next(c for c in own.__mro__ if c.__module__ == "django.forms.widgets")
    multiple = getattr(own, "allow_multiple_selected", False)
    widget.__class__ = type("Stock", (django_base,), {"allow_multiple_selected": multiple})
    try:
        return str(bound_field)
    finally:
        widget.__class__ = own


def district_pk(n=3):
    return str(Region.objects.filter(level="district").order_by("code")[n].pk)


@pytest.mark.parametrize("data, valid", [
    (None, None),
    ({"category": "abuse", "region": "DISTRICT", "description": 'a<b>"quoted" & \'single\'', "consent": "on",
      "occurred_on": "2026-01-02", "operator_name": "<script>alert(1)</script>", "institution": "12",
      "complainant_phone": "139 0000 1111", "captcha_token": "t&k", "captcha_answer": "7"}, True),
    ({"category": "", "region": ""}, False),
    ({"category": "no-such", "region": "999999", "occurred_on": "not a date", "institution": "x"}, False),
], ids=["unbound", "bound", "empty", "errors"])
def test_complaint_form_renders_as_django_does(data, valid):
    if data and data.get("region") == "DISTRICT":
        data = {**data, "region": district_pk()}
    form = ComplaintForm(data, {"files": SimpleUploadedFile("a.png", b"x")} if data else None)
    if data:
        assert form.is_valid() is valid  # the error states are rendered with their errors (aria-invalid)
    assert all(isinstance(f.widget, (widgets.PlainRendered, widgets.Select)) for f in form.fields.values())
    for name in form.fields:
        assert str(form[name]) == stock(form[name]), name


def test_select_marks_only_the_first_matching_option():
    widget = widgets.Select(choices=[("a", "A"), ("b", "B<"), ("b", "again")])
    html = widget.render("x", "b", {"id": "id_x"})
    assert html == forms.Select(choices=widget.choices).render("x", "b", {"id": "id_x"})
    assert html.count(" selected") == 1 and "B&lt;" in html


def test_select_refuses_optgroups_rather_than_dropping_them():
    with pytest.raises(ValueError):
        widgets.Select(choices=[("group", [("a", "A")])]).render("x", None)


def test_file_input_with_a_stored_file_goes_through_the_template():
    class Stored:
        url = "/media/a.png"

        def __str__(self):
            return "a.png"

    html = widgets.ClearableFileInput().render("f", Stored(), {"id": "id_f"})
    assert html == forms.ClearableFileInput().render("f", Stored(), {"id": "id_f"})
    assert 'href="/media/a.png"' in html
