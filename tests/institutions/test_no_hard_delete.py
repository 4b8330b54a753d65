"""Regulated records are never hard-deleted through the admin or the API (issue 8 item 6). The tests iterate
over whatever is registered, so record types added by other apps are covered without listing them here."""

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from institutions.models import RegulatedRecord

pytestmark = pytest.mark.django_db


def regulated_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if issubclass(model, RegulatedRecord)]


def test_there_are_regulated_admins_to_check():
    names = {model._meta.label for model, _ in regulated_admins()}
    assert {"institutions.Filing", "inspections.Finding"} <= names


@pytest.mark.parametrize("model,model_admin", regulated_admins(), ids=lambda v: getattr(v, "__name__", ""))
def test_superuser_cannot_delete_a_regulated_record_in_the_admin(rf, users, model, model_admin):
    request = rf.get("/admin/")
    request.user = users["admin"]
    assert request.user.is_superuser
    assert model_admin.has_delete_permission(request) is False
    obj = model.objects.first()
    assert model_admin.has_delete_permission(request, obj) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_admin_delete_view_refuses(client, users):
    from inspections.models import Finding

    finding = Finding.objects.order_by("id").first()
    client.force_login(users["admin"])
    url = f"/admin/inspections/finding/{finding.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Finding.objects.filter(pk=finding.pk).exists()


def _api_patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _api_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _view_model(view_class):
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view_class, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def test_the_api_exposes_no_delete_on_regulated_records():
    checked = []
    for route, callback in _api_patterns(get_resolver()):
        view_class = getattr(callback, "cls", None)
        model = _view_model(view_class) if view_class is not None else None
        if model is None or not issubclass(model, RegulatedRecord):
            continue
        actions = getattr(callback, "actions", None)
        if actions is not None:  # a viewset route: the method → action map it answers
            assert "delete" not in actions, route
        else:
            assert not hasattr(view_class, "delete"), route
        checked.append(route)
    assert any("findings" in route for route in checked)
    assert any("filings" in route for route in checked)
