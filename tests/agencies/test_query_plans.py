"""On PostgreSQL the first page of findings plans as index scans for a district department and for a city
department: the permission filter must never turn into a walk over the whole table (DESIGN §3)."""

import json

import pytest
from django.db import connection

from agencies.models import Region
from inspections.models import Finding
from institutions.models import Institution
from institutions.uscc import build_uscc

from ..conftest import is_postgres

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

EXTRA_DISTRICTS = 60
FINDINGS = 60_000


@pytest.fixture
def province_sized_findings(db):
    """60 more districts with 3 institutions each and 60k findings spread over them and every domain, so that
    one district holds about 1/76 of the rows, as a district does in a province."""
    if not is_postgres():
        pytest.skip("query plans are checked on PostgreSQL (CI runs it); SQLite has no comparable planner")
    city = Region.objects.get(code="120000")
    for n in range(EXTRA_DISTRICTS):
        region = Region.objects.create(code=f"1299{n:02d}", name=f"规模测试区{n}", level="district", parent=city)
        for m in range(3):
            Institution.objects.create(
                name=f"规模测试机构{n}-{m}", uscc=build_uscc("52", region.code, f"5{n:02d}{m}0001"), region=region,
                provides_meals=bool(m % 2))
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH inst AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(region_code ORDER BY id) AS regions,
                                 array_agg(facts ORDER BY id) AS facts, count(*) AS n FROM institutions_institution),
                 dom AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM agencies_domain)
            INSERT INTO inspections_finding (institution_id, domain_id, region_code, institution_facts, text,
                                             created_at, basis, severity, state)
            SELECT inst.ids[1 + g %% inst.n], dom.ids[1 + g %% dom.n], inst.regions[1 + g %% inst.n],
                   inst.facts[1 + g %% inst.n], 'plan test', now(), '', 'general', 'open'
            FROM generate_series(1, %s) g, inst, dom
        """, [FINDINGS])
        cursor.execute("ANALYZE inspections_finding")
    return Finding.objects.count()


def finding_scans(node, found=None):
    found = [] if found is None else found
    if node.get("Relation Name") == "inspections_finding" or (
            node.get("Node Type") == "Bitmap Index Scan" and "finding" in node.get("Index Name", "")):
        found.append(node)
    for child in node.get("Plans", []):
        finding_scans(child, found)
    return found


@pytest.mark.parametrize("username", ["civil_heping", "fire_heping", "civil_city", "medins_city"])
def test_first_page_plans_as_index_scans(username, users, province_sized_findings):
    total = province_sized_findings
    page = Finding.objects.restrict(users[username], "view").order_by("-id")[:50]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    scans = finding_scans(plan)
    assert scans, json.dumps(plan, indent=1)
    kinds = {s["Node Type"] for s in scans}
    assert "Seq Scan" not in kinds, json.dumps(plan, indent=1)
    assert kinds <= {"Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}, kinds
    # Not a walk over the table: the rows the scans touched (returned plus filtered away) stay a small
    # fraction of it.
    touched = sum(s.get("Actual Rows", 0) * s.get("Actual Loops", 1) + s.get("Rows Removed by Filter", 0)
                  for s in scans if s["Node Type"] != "Bitmap Index Scan")
    assert touched < total * 0.1, (username, touched, total, json.dumps(plan, indent=1))
    assert len(list(page)) == 50
    print(username, "touched", touched, "of", total, "·", " / ".join(
        f"{s['Node Type']} {s.get('Index Name', '')}".strip() for s in scans))
