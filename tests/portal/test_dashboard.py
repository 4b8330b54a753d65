"""The supervision dashboard (seed 004) and its evaluation form: hand counts, jurisdictions, restrict(), queries."""

import datetime as dt
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.calendar import add_working_days
from agencies.models import AuditEvent
from portal import dashboard as dash
from portal.evaluation import fill, form_rows

from . import dashboard_data as data

pytestmark = pytest.mark.django_db
YEAR = data.YEAR
TEST = data.TEST_DISTRICT


@pytest.fixture
def hand(db):
    return data.build_hand_data_set()


def board_for(user, prefix, period):
    jurisdiction = next(j for j in dash.jurisdictions_for(user) if j.prefix == prefix)
    return dash.build_dashboard(user, jurisdiction, period)


def past_year():
    return dash.period_for(YEAR)  # the whole of 2025 is behind us: every deadline in it has passed


# ------------------------------------------------------------------------------------------- hand counts


def test_onsite_checks_after_filing_2_5(hand, users):
    got = dash.onsite_checks_after_filing(users["admin"], TEST, past_year())
    # due in 2025 with a filing: a's (on time), b's (3 days late), b's second (never checked). The 2024 check and
    # the check without a filing do not count.
    assert (got.due, got.on_time, got.late, got.missing, got.pending) == (3, 1, 1, 1, 0)
    assert got.share == pytest.approx(1 / 3)


def test_a_deadline_not_yet_reached_is_pending_not_missed(hand, users):
    got = dash.onsite_checks_after_filing(users["admin"], TEST, dash.Period(YEAR, dt.date(2025, 6, 1)))
    # On 1 June the never-checked one (due 10 June) is not late yet.
    assert (got.due, got.on_time, got.late, got.missing, got.pending) == (2, 1, 1, 0, 1)


def test_lead_checks_2_6(hand, users):
    got = dash.lead_checks(users["admin"], TEST, past_year())
    # checked on its 20th working day, never checked, checked a day late
    assert (got.due, got.on_time, got.late, got.missing) == (3, 1, 1, 1)


def test_institution_indicators_3_5_4_5_4_13_4_14(hand, users):
    [row] = dash.institutions_by_district(users["admin"], TEST, past_year())
    # Operating: 甲, 乙, 丙 (丁 is closed). Inspected in 2025: 甲 (乙's was in 2024, 丙's is only scheduled).
    # Rating in force on 31 Dec 2025: 甲 (乙's expired in March). Filed: 甲, 乙. Service items: 甲, 乙; fees: 甲.
    assert (row.operating, row.inspected, row.rated, row.filed) == (3, 1, 1, 2)
    assert (row.service_items, row.fees, row.services_and_fees) == (2, 1, 1)


def test_hazards_4_1(hand, users):
    period = past_year()
    totals = dash.finding_totals(users["admin"], TEST, period)
    got = dash.hazards(totals)
    # Found in 2025: fire (Mar, closed in time), food (May, major, closed late), building (Sep, open past its date).
    assert (got.found, got.major, got.rectified, got.rectified_on_time, got.overdue) == (3, 1, 2, 1, 1)
    assert sorted(got.by_domain) == sorted([("消防安全", 1, 1), ("食品安全", 1, 1), ("建筑安全", 1, 0)])
    assert {(m, c["found"]) for m, c in totals.by_month.items()} == {(3, 1), (5, 1), (9, 1)}


def test_the_rollup_is_the_same_in_sql_and_in_python(users):
    """GROUPING SETS on PostgreSQL, the Python rollup elsewhere: one answer, over the whole demo city."""
    queryset = dash._finding_groups(users["admin"], "12", dash.period_for(timezone.localdate().year))
    fine = list(queryset)
    assert len({(r["month"], r["district"]) for r in fine}) > 1  # more than one group to roll up
    in_python = dash._rolled_up_in_python(fine)
    if connection.vendor != "postgresql":
        pytest.skip("GROUPING SETS is PostgreSQL's; the Python rollup is what this database uses")

    def keyed(rows):
        return {tuple(r[g] for g in dash.FINDING_GRAINS): {k: r[k] for k in dash.FINDING_COUNTS} for r in rows}

    def normalised(rows):  # EXTRACT gives PostgreSQL's numeric; the counts are what matter
        return [{**r, "month": int(r["month"]) if r["month"] is not None else None} for r in rows]

    assert keyed(normalised(dash._rolled_up_in_sql(queryset))) == keyed(normalised(in_python))


def test_enforcement_lists_and_filings_4_2_4_3_4_12(hand, users):
    admin, period = users["admin"], past_year()
    got = dash.enforcement(admin, TEST, period)
    # Two penalties in force (one not public), one compulsory measure, one suspension in force; the proposed
    # penalty, the 2024 one and the withdrawn suspension do not count.
    assert (got.penalties, got.compulsory, got.suspensions, got.total, got.public_penalties) == (2, 1, 1, 4, 1)
    lists = dash.lists_published(admin, TEST, period)
    # Blacklist published in 2025: 甲 (still on it), 乙 (expired in October); 丙 only proposed. Watch: 丙.
    assert (lists.black_published, lists.black_in_force, lists.watch_published, lists.red_published) == (2, 1, 1, 0)
    filings = dash.filings_handled(admin, TEST, period)
    assert (filings.submitted, filings.approved, filings.returned) == (3, 2, 1)


def test_duty_performance_per_department(hand, users):
    period = past_year()
    board = board_for(users["admin"], TEST, period)
    rows = {r.name: r for r in board.duty}
    fire, market, civil = rows["测试区消防救援支队"], rows["测试区市场监督管理局"], rows["测试区民政局"]
    # Referrals: fire answered one in time and one late; market never answered its one.
    assert (fire.referrals.due, fire.referrals.on_time, fire.referrals.late) == (2, 1, 1)
    assert (market.referrals.due, market.referrals.on_time, market.referrals.missing) == (1, 0, 1)
    # Rectifications, 10 working days to decide: fire decided 10 Mar's on 20 Mar (deadline below), left 10 Sep's
    # undecided; market decided 3 Jun's on 30 Jun, after its deadline.
    assert add_working_days(dt.date(2025, 3, 10), 10) >= dt.date(2025, 3, 20)
    assert add_working_days(dt.date(2025, 6, 3), 10) < dt.date(2025, 6, 30)
    assert (fire.rectifications.due, fire.rectifications.on_time, fire.rectifications.missing) == (2, 1, 1)
    assert (market.rectifications.due, market.rectifications.late) == (1, 1)
    # Complaints: market answered the one routed to it in time; civil affairs (intake, not routed) answered one
    # late, dismissed one in time, and has one open past its date; the merged duplicate is not counted.
    assert (market.complaints.due, market.complaints.on_time) == (1, 1)
    assert (civil.complaints.due, civil.complaints.on_time, civil.complaints.late, civil.complaints.missing) == \
        (3, 1, 1, 1)


def test_monthly_trend(hand, users):
    board = board_for(users["admin"], TEST, past_year())
    months = {m.month: (m.findings, m.rectified, m.inspections, m.complaints) for m in board.months}
    assert months[3] == (1, 1, 0, 0)
    assert months[4] == (0, 0, 0, 1)
    assert months[5] == (1, 1, 2, 1)  # 甲's and the closed 丁's inspections were completed in May
    assert months[6] == (0, 0, 0, 1)
    assert months[9] == (1, 0, 0, 0)
    assert months[11] == (0, 0, 0, 1)
    assert sum(m.complaints for m in board.months) == 4


# ------------------------------------------------------------------------------------------- the export


def _sheet(response):
    from openpyxl import load_workbook

    return load_workbook(BytesIO(b"".join(response.streaming_content) if response.streaming
                                 else response.content)).active


def test_evaluation_form_export_holds_the_hand_counts(hand, client, users):
    client.force_login(users["admin"])
    before = AuditEvent.objects.filter(verb="dashboard.evaluation_export").count()
    response = client.get(f"/staff/dashboard/evaluation.xlsx?region={TEST}&year={YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = _sheet(response)
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "一级指标")
    assert [sheet.cell(header_row, c).value for c in range(1, 6)] == \
        ["一级指标", "二级指标", "已完成情况及佐证材料", "未完成说明", "政策依据和任务来源"]
    rows = {}
    for r in range(header_row + 1, sheet.max_row + 1):
        number = sheet.cell(r, 2).value.split(" ", 1)[0]
        rows[number] = [sheet.cell(r, c).value for c in range(1, 9)]
    # Every row of the seed's form, in its order and numbering.
    assert list(rows) == [row.number for row in form_rows()]
    assert len(rows) == 44 and list(rows)[:3] == ["1.1", "1.2", "1.3"] and list(rows)[-1] == "4.17"
    value = {n: rows[n][6] for n in rows}
    assert value["2.5"] == pytest.approx(1 / 3)
    assert value["2.6"] == pytest.approx(1 / 3)
    assert value["3.5"] == pytest.approx(1 / 3)
    assert value["4.1"] == 3
    assert value["4.2"] == 4
    assert value["4.3"] == 2
    assert value["4.5"] == pytest.approx(1 / 3)
    assert value["4.12"] == 2
    assert value["4.13"] == 2
    assert value["4.14"] == 1
    assert "发现问题隐患 3 项" in rows["4.1"][2] and "重大隐患 1 项" in rows["4.1"][2]
    assert rows["2.5"][5] == f"{YEAR}-01-01 — {YEAR}-12-31"
    assert "http://testserver/findings/?region=120199" in rows["4.1"][7]
    assert "问题隐患：3 条" in rows["4.1"][7]
    assert rows["4.2"][7] == "信用记录（行政处罚、行政强制）：3 条\n责令停业整顿：1 条 http://testserver/suspension-orders/"
    row_4_1 = next(r for r in range(header_row + 1, sheet.max_row + 1) if sheet.cell(r, 2).value.startswith("4.1 "))
    assert sheet.cell(row_4_1, 8).hyperlink.target == "http://testserver/findings/?region=120199"
    # What the data cannot answer is left blank for the bureau: no text, no value, no evidence.
    for number in ("1.1", "2.1", "3.1", "4.4", "4.17"):
        assert rows[number][2] in (None, "") and rows[number][6] is None and rows[number][7] in (None, "")
        assert rows[number][4]  # the policy basis stays
    assert rows["1.1"][0] == "1. 制度建设"
    # Downloading it is an audited event, like every export.
    event = AuditEvent.objects.filter(verb="dashboard.evaluation_export").order_by("-id").first()
    assert AuditEvent.objects.filter(verb="dashboard.evaluation_export").count() == before + 1
    assert event.actor == users["admin"] and event.after == {"format": "xlsx", "region": TEST, "year": YEAR}


def test_fill_answers_exactly_the_indicators_the_data_can(hand, users):
    answered = [r.row.number for r in fill(board_for(users["admin"], TEST, past_year())) if r.answer]
    assert answered == ["2.5", "2.6", "3.5", "4.1", "4.2", "4.3", "4.5", "4.12", "4.13", "4.14"]


# ------------------------------------------------------------------------------------------- jurisdictions


def figures(board) -> dict:
    """Every number the page shows, flat."""
    out = {"onsite": board.onsite, "leads": board.leads, "hazards": board.hazards, "enforcement": board.enforcement,
           "lists": board.lists, "filings": board.filings,
           "districts": [(d.prefix, d.operating, d.inspected, d.rated, d.filed, d.findings, d.rectified)
                         for d in board.districts],
           "months": [(m.findings, m.rectified, m.inspections, m.complaints) for m in board.months],
           "duty": [(r.department_id, r.referrals, r.rectifications, r.complaints) for r in board.duty]}
    return out


def test_district_leader_counts_nothing_outside_the_district(users):
    """Records added in 河西区 leave every 和平区 figure as it was; the city's figures do move."""
    leader, city = users["leader_heping"], users["leader_city"]
    assert [j.prefix for j in dash.jurisdictions_for(leader)] == ["120101"]
    period = dash.period_for()
    heping_before = figures(board_for(leader, "120101", period))
    city_before = board_for(city, "12", period)

    hexi = data.Region.objects.get(code="120103")
    inst = data.institution(hexi, "河西新院")
    today = timezone.localdate()
    civil_hexi = data.department("civil_affairs", "120103")
    f = data.finding(inst, "service_safety", today, today, by=civil_hexi, severity="major")
    data.inspection(inst, today)
    data.complaint(hexi, today, today, inst=inst)
    data.credit_event(inst, "penalty", today)
    data.list_entry(inst, "black", "published", today)
    data.lead(hexi, today, None)
    data.rectification(f, today, None)

    assert figures(board_for(leader, "120101", period)) == heping_before
    city_after = board_for(city, "12", period)
    assert city_after.hazards.found == city_before.hazards.found + 1
    assert city_after.operating == city_before.operating + 1


def test_a_departments_dashboard_counts_only_what_restrict_lets_it_see(users):
    """fire_heping sees the fire finding, not the food one; market_heping the other way round — and each
    dashboard total equals the count of restrict() over the same district and year."""
    from inspections.models import Finding

    fire, market = users["fire_heping"], users["market_heping"]
    period = dash.period_for()
    before = {u: board_for(users[u], "120101", period).hazards.found for u in ("fire_heping", "market_heping")}
    heping = data.Region.objects.get(code="120101")
    inst = data.institution(heping, "和平新院")
    today = timezone.localdate()
    data.finding(inst, "fire_safety", today, today, by=data.department("fire_rescue", "120101"))
    data.finding(inst, "food_safety", today, today, by=data.department("market_regulation", "120101"))

    for user, name in ((fire, "fire_heping"), (market, "market_heping")):
        board = board_for(user, "120101", period)
        assert board.hazards.found == before[name] + 1
        in_scope = (Finding.objects.restrict(user, "view").filter(region_code__startswith="120101")
                    .filter(found_on__year=period.year).count()
                    + Finding.objects.restrict(user, "view").filter(region_code__startswith="120101",
                                                                    found_on__isnull=True,
                                                                    created_at__gte=period.start_at).count())
        assert board.hazards.found == in_scope
    assert dash.jurisdictions_for(fire)[0].prefix == "120101"


def test_jurisdictions_follow_the_department(users):
    assert [j.prefix for j in dash.jurisdictions_for(users["civil_city"])][:3] == ["12", "120101", "120102"]
    assert len(dash.jurisdictions_for(users["civil_city"])) == 17  # the city and its 16 districts
    assert [j.prefix for j in dash.jurisdictions_for(users["civil_hexi"])] == ["120103"]
    assert dash.jurisdictions_for(users["inst_1"]) == []


def test_page_access(client, users):
    assert client.get("/staff/dashboard/").status_code == 302  # to the login
    client.force_login(users["leader_heping"])
    page = client.get("/staff/dashboard/")
    assert page.status_code == 200 and "和平区" in page.content.decode()
    assert 'data-testid="read-only"' in page.content.decode()
    # Another district, or the city, is out of the leader's scope: 404 like a missing record.
    assert client.get("/staff/dashboard/?region=120103").status_code == 404
    assert client.get("/staff/dashboard/?region=12").status_code == 404
    assert client.get("/staff/dashboard/evaluation.xlsx?region=120103").status_code == 404
    client.force_login(users["inst_1"])
    assert client.get("/staff/dashboard/").status_code == 404


def test_page_shows_charts_with_tables_and_no_inline_script(hand, client, users):
    client.force_login(users["civil_city"])
    html = client.get(f"/staff/dashboard/?region={TEST}&year={YEAR}").content.decode()
    assert 'id="dashboard-charts" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert 'data-testid="months-table"' in html and 'data-testid="districts-table"' in html
    assert html.count('data-chart="') == 2
    assert "监管效能" in html


def test_bad_year_is_named(client, users):
    client.force_login(users["civil_city"])
    html = client.get("/staff/dashboard/?year=1999").content.decode()
    assert "年度：" in html  # the field is named beside its error; the current year is shown instead
    assert f"{timezone.localdate().year}-01-01" in html


# ------------------------------------------------------------------------------------------- query count


def _grow(n: int):
    """n of every record the dashboard counts, in 测试区 this year."""
    region = data.test_district()
    civil, fire = data.department("civil_affairs"), data.department("fire_rescue")
    today = timezone.localdate()
    start = dt.date(today.year, 1, 5)
    for i in range(n):
        inst = data.institution(region, "院", filing_status="filed")
        f = data.finding(inst, "fire_safety", start, today, by=fire, closed=today if i % 2 else None)
        data.rectification(f, start, today if i % 2 else None)
        data.referral(f, civil, start, today, today if i % 3 else None)
        data.inspection(inst, start)
        fl = data.filing(inst, "approved", start, start)
        data.onsite_check(inst, fl, today, today)
        data.lead(region, start, None)
        data.complaint(region, start, today, routed_to=fire if i % 2 else None)
        data.credit_event(inst, "penalty", start)
        data.list_entry(inst, "black", "published", start)


QUERY_BOUND = 21  # 20, and the user's hand-offs (one query per request: agencies.access.handoffs)


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/staff/dashboard/?region={TEST}")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_dashboard_query_count_is_constant(client, users, django_assert_max_num_queries):
    """The same number of queries with 1 and with 50 of every record: everything is aggregated in SQL."""
    client.force_login(users["civil_city"])
    _grow(1)
    client.get(f"/staff/dashboard/?region={TEST}")  # warm the user's access scope and the calendar cache
    with django_assert_max_num_queries(QUERY_BOUND):
        one, html_one = _page_queries(client)
    _grow(49)
    with django_assert_max_num_queries(QUERY_BOUND):
        fifty, html_fifty = _page_queries(client)
    assert one == fifty
    assert "在营养老机构 1 家" in html_one and "在营养老机构 50 家" in html_fifty
