"""The permission matrix: every department of the demo city × every domain × every action, over HTTP.

The expectation comes from tests/agencies/oracle.py, which reads duties.csv and competence.csv on its own.
For each department (one staff user each) and each action, the findings API must list exactly the records
the oracle allows (plus explicit hand-offs), and a record's detail and `explain` must answer 200 or 404 to
match. Records cover every domain at institutions with and without each fact, in two districts.
"""

from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from agencies.models import Department, Domain, Region, StaffProfile
from inspections.models import Finding, FindingGroupObjectPermission
from institutions.models import Institution
from institutions.uscc import build_uscc

from . import oracle

pytestmark = pytest.mark.django_db

# Facts that no demo institution has: the matrix adds one institution with each, in both districts.
EXTRA_FACTS = ["unregistered", "medical_institution_providing_eldercare"]
DISTRICTS = ["120101", "120103"]


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end (each test still runs in
    its own savepoint): the demo findings plus every-domain findings at institutions with the facts the demo
    lacks; one user per department; the oracle's expected visible set per (department, action)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _build_world():
    domains = list(Domain.objects.all())
    for n, code in enumerate(DISTRICTS):
        region = Region.objects.get(code=code)
        for m, fact in enumerate(EXTRA_FACTS):
            inst = Institution.objects.create(
                name=f"矩阵测试机构{n}{m}", uscc=build_uscc("91", code, f"9{n}{m}00001"), region=region,
                **{fact: True})
            for domain in domains:
                Finding.objects.create(institution=inst, domain=domain, text="matrix")

    User = get_user_model()
    departments = list(Department.objects.select_related("kind", "region").order_by("id"))
    users = User.objects.bulk_create([User(username=f"matrix_{d.id}") for d in departments])
    pairs = list(zip(users, departments, strict=True))
    StaffProfile.objects.bulk_create([StaffProfile(user=u, department=d) for u, d in pairs])
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.id, group_id=d.group_id) for u, d in pairs])

    # Explicit hand-offs, as guardian direct-FK grants: what the demo made, read back from the database.
    handed = defaultdict(set)  # (group id, codename) -> finding ids
    for grant in FindingGroupObjectPermission.objects.select_related("permission"):
        handed[(grant.group_id, grant.permission.codename)].add(grant.content_object_id)

    findings = list(Finding.objects.select_related("institution", "domain"))
    facts = {f.institution_id: oracle.facts_of(f.institution) for f in findings}

    def expected(dept, action):
        prefix = oracle.region_prefix(dept.region.code, dept.region.level)
        visible = {
            f.id for f in findings
            if f.region_code.startswith(prefix)
            and oracle.may(dept.kind.code, dept.region.code, dept.region.level, action, f.region_code,
                           f.domain.code, facts[f.institution_id])
        }
        return visible | handed.get((dept.group_id, f"{action}_finding"), set())

    domain_codes = sorted({f.domain.code for f in findings})

    def covered(dept, action, institution):
        return any(oracle.may(dept.kind.code, dept.region.code, dept.region.level, action, institution.region_code,
                              d, facts[institution.id]) for d in domain_codes)

    return {"departments": departments, "users": dict(zip([d.id for d in departments], users, strict=True)),
            "findings": findings, "expected": expected, "covered": covered,
            "institution_ids": {f.institution_id for f in findings}}


def _kinds():
    return [c for c in oracle.competence()]


def test_every_department_kind_with_a_competence_has_departments_in_the_demo():
    kinds_with_departments = set(Department.objects.values_list("kind__code", flat=True))
    assert set(_kinds()) <= kinds_with_departments


@pytest.mark.parametrize("kind", _kinds())
def test_matrix_through_the_api(kind, matrix_world, db):
    """Per department × action: the restricted list equals the oracle's set; over HTTP the list (for `view`)
    equals it too, and for every action a visible record's detail and explain answer 200, a hidden one 404."""
    from rest_framework.test import APIClient

    departments = [d for d in matrix_world["departments"] if d.kind.code == kind]
    all_ids = {f.id for f in matrix_world["findings"]}
    for dept in departments:
        user = matrix_world["users"][dept.id]
        api = APIClient()
        api.force_authenticate(user)
        for action in oracle.ACTIONS:
            expected = matrix_world["expected"](dept, action)
            restricted = set(Finding.objects.restrict(user, action).values_list("id", flat=True))
            assert restricted == expected, (
                f"{dept.name} / {action}: unexpected {sorted(restricted - expected)[:5]}, "
                f"missing {sorted(expected - restricted)[:5]}")
            if action == "view":
                response = api.get("/api/v1/findings/", {"page_size": 1000})
                assert response.status_code == 200
                assert {row["id"] for row in response.json()["results"]} == expected, dept.name
            # Institutions: in view when some duty covers some record of theirs, for this action.
            institutions = {f.institution_id for f in matrix_world["findings"]
                            if matrix_world["covered"](dept, action, f.institution)}
            response = api.get("/api/v1/institutions/", {"action": action, "page_size": 1000})
            assert response.status_code == 200
            listed = {row["id"] for row in response.json()["results"]}
            assert listed & matrix_world["institution_ids"] == institutions, (dept.name, action)
            if expected:
                # explain() reads through the same restricted get_object() as the detail view.
                why = api.get(f"/api/v1/findings/{min(expected)}/explain/", {"action": action})
                assert why.status_code == 200 and why.json()["reasons"], (dept.name, action)
            hidden = all_ids - expected
            if hidden:
                assert api.get(f"/api/v1/findings/{max(hidden)}/", {"action": action}).status_code == 404


def test_explain_names_the_oracle_duties(matrix_world, db):
    """Every duty row is in force: for every department of the city and of 和平区, every action and every
    和平区 record it may act on, the engine names exactly the duties the oracle names (a duty whose removal
    changes nobody's access, because another duty grants the same, still fails here)."""
    from agencies.access import explain, get_access_context, granting_duty_ids
    from agencies.models import Duty

    reference = {d.id: d.reference for d in Duty.objects.all()}
    checked = 0
    for dept in matrix_world["departments"]:
        if dept.region.code not in ("120000", "120101"):
            continue
        ctx = get_access_context(matrix_world["users"][dept.id])
        for action in oracle.ACTIONS:
            visible = matrix_world["expected"](dept, action)
            for f in matrix_world["findings"]:
                if f.id not in visible or f.region_code != "120101":
                    continue
                want = set(oracle.granting_duties(dept.kind.code, action, f.domain.code,
                                                  oracle.facts_of(f.institution)))
                if not want:
                    continue  # visible through a hand-off, not a duty
                named = {reference[i] for i in granting_duty_ids(ctx, f, action)}
                assert named == want, (dept.name, action, f.domain.code, named ^ want)
                checked += 1
    assert checked > 5_000  # a floor: the loop really ran over the matrix
    # And the user-facing explain() says the same, with the duty's text, on one record.
    fire = next(d for d in matrix_world["departments"] if d.name == "和平区消防救援支队")
    record = next(f for f in matrix_world["findings"] if f.region_code == "120101" and f.domain.code == "fire_safety")
    reasons = explain(matrix_world["users"][fire.id], record, "inspect")
    assert {r.reference for r in reasons} == set(oracle.granting_duties("fire_rescue", "inspect", "fire_safety",
                                                                        oracle.facts_of(record.institution)))
    assert all(r.text for r in reasons)


def test_handed_off_finding_is_visible_only_through_the_grant(api):
    """The demo hands one special-equipment finding to 和平区消防救援支队: visible to it, by grant, not by duty."""
    view = Permission.objects.get(codename="view_finding", content_type__app_label="inspections")
    grant = FindingGroupObjectPermission.objects.get(permission=view, group__department__name="和平区消防救援支队")
    finding = grant.content_object
    response = api("fire_heping").get(f"/api/v1/findings/{finding.id}/explain/")
    assert response.status_code == 200
    assert [r["kind"] for r in response.json()["reasons"]] == ["grant"]
    # The same finding, for an action the grant does not cover: 404.
    assert api("fire_heping").get(f"/api/v1/findings/{finding.id}/", {"action": "inspect"}).status_code == 404
