"""My work (我的待办): each named user's queue holds exactly what their scope lets them act on, overdue counted in
working days, at a constant number of queries; the staff home and the navigation show it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.access import can
from agencies.calendar import working_days_between
from agencies.choices import Action
from agencies.models import Department, Domain
from inspections.choices import FindingState
from inspections.models import Finding
from institutions.choices import FilingState
from institutions.models import Filing, Institution
from portal.notifications import actor_profile
from portal.workqueue import build_queue

pytestmark = pytest.mark.django_db
HEPING, HEXI = "120101", "120103"


def dept(kind, district=HEPING):
    return Department.objects.get(kind__code=kind, region__code=district)


def queue_of(user):
    kind, department = actor_profile(user)
    return build_queue(user, kind, department)


def ids(queue, source):
    return {item.pk for item in queue.items if item.source == source}


def working_days_ago(n: int) -> dt.date:
    """The date n working days before today (so that today is n working days late for it)."""
    today, day = timezone.localdate(), timezone.localdate()
    while working_days_between(day, today) < n:
        day -= dt.timedelta(days=1)
    return day


def copy_finding(template: Finding, **changes) -> Finding:
    finding = Finding.objects.get(pk=template.pk)
    finding.pk = None
    for name, value in changes.items():
        setattr(finding, name, value)
    finding.save()
    return finding


@pytest.fixture
def hand_built(db):
    """A small data set on top of the demo city: rectifications waiting for the fire brigade and for civil
    affairs of 和平区, one in 河西区, a submitted filing in each district, and open findings of inst_1's home."""
    heping_home = Institution.objects.filter(region__code=HEPING).order_by("id").first()
    hexi_home = Institution.objects.filter(region__code=HEXI).order_by("id").first()
    template = Finding.objects.filter(institution=heping_home).order_by("id").first()
    fire, civil = dept("fire_rescue"), dept("civil_affairs")
    fire_domain = Finding.objects.filter(found_by__kind__code="fire_rescue").values_list("domain", flat=True).first()
    civil_domain = Finding.objects.filter(found_by=civil).values_list("domain", flat=True).first()
    built = {
        "fire_verify": copy_finding(template, state=FindingState.SUBMITTED, found_by=fire, verifying_department=fire,
                                    domain_id=fire_domain, rectification_due=working_days_ago(3)),
        "civil_verify": copy_finding(template, state=FindingState.SUBMITTED, found_by=civil,
                                     verifying_department=civil, domain_id=civil_domain,
                                     rectification_due=timezone.localdate() + dt.timedelta(days=30)),
        "hexi_verify": copy_finding(Finding.objects.filter(institution=hexi_home).order_by("id").first(),
                                    state=FindingState.SUBMITTED, found_by=dept("civil_affairs", HEXI),
                                    verifying_department=dept("civil_affairs", HEXI), domain_id=civil_domain),
        "open_heping": copy_finding(template, state=FindingState.OPEN, rectification_due=working_days_ago(1)),
    }
    for key, home in (("filing_heping", heping_home), ("filing_hexi", hexi_home)):
        built[key] = Filing.objects.create(
            institution=home, domain=Domain.objects.get(code="registration_filing"), state=FilingState.SUBMITTED,
            name=home.name, address="测试地址", legal_representative="张某", beds=50, building_area=1200,
            contact_person="李某", contact_phone="022-12345678", submitted_at=timezone.now())
    return built


def expected(user, model, action, rows, extra=lambda obj: True):
    """The single-object permission path (`can`, what has_perm answers) over the candidate rows: an independent
    count of what the queue, read through restrict(), must hold."""
    return {obj.pk for obj in rows if can(user, action, obj) and extra(obj)}


@pytest.mark.parametrize("username", ["civil_heping", "fire_heping", "inspector_1", "civil_hexi", "market_heping"])
def test_rectifications_to_verify_are_exactly_the_users_own(users, hand_built, username):
    user = users[username]
    _kind, department = actor_profile(user)
    submitted = Finding.objects.filter(state=FindingState.SUBMITTED)
    # 谁检查谁验收: the named verifier, or where none is named, the finder.
    def own(f):
        return (f.verifying_department_id == department.pk
               or (f.verifying_department_id is None and f.found_by_id == department.pk))
    assert ids(queue_of(user), "verify") == expected(user, Finding, Action.VERIFY_RECTIFICATION, submitted, own)


def test_hand_counted_queues_of_the_named_users(users, hand_built):
    fire = queue_of(users["fire_heping"])
    civil = queue_of(users["civil_heping"])
    hexi = queue_of(users["civil_hexi"])
    assert hand_built["fire_verify"].pk in ids(fire, "verify")
    assert hand_built["fire_verify"].pk not in ids(civil, "verify")
    assert hand_built["civil_verify"].pk in ids(civil, "verify")
    assert hand_built["civil_verify"].pk not in ids(fire, "verify") | ids(hexi, "verify")
    assert hand_built["hexi_verify"].pk in ids(hexi, "verify")
    assert hand_built["hexi_verify"].pk not in ids(civil, "verify")
    # Filings: reviewed by the district civil-affairs bureau only; the fire brigade has no filing work at all.
    assert hand_built["filing_heping"].pk in ids(civil, "filing")
    assert hand_built["filing_hexi"].pk not in ids(civil, "filing")
    assert hand_built["filing_hexi"].pk in ids(hexi, "filing")
    assert ids(fire, "filing") == set()
    assert ids(civil, "filing") == expected(users["civil_heping"], Filing, Action.REVIEW_FILING,
                                            Filing.objects.filter(state=FilingState.SUBMITTED))


def test_institution_queue_holds_its_own_findings_to_rectify(users, hand_built):
    inst_1, inst_2 = queue_of(users["inst_1"]), queue_of(users["inst_2"])
    assert {s.key for s in inst_1.summaries} == {"rectify"}
    open_states = (FindingState.OPEN, FindingState.RETURNED)
    assert ids(inst_1, "rectify") == expected(users["inst_1"], Finding, Action.VIEW,
                                              Finding.objects.filter(state__in=open_states))
    assert hand_built["open_heping"].pk in ids(inst_1, "rectify")
    assert hand_built["open_heping"].pk not in ids(inst_2, "rectify")


def test_inspector_sees_the_inspections_of_their_team(users):
    from inspections.models import Inspection
    from inspections.selectors import OPEN_INSPECTION_STATES

    user = users["inspector_1"]
    on_team = set(Inspection.objects.filter(state__in=OPEN_INSPECTION_STATES, team__inspector__staff__user=user)
                  .values_list("pk", flat=True))
    assert on_team <= ids(queue_of(user), "inspection")
    # A department's staff never get another district's inspections.
    hexi = Inspection.objects.filter(region_code__startswith=HEXI).values_list("pk", flat=True)
    assert not ids(queue_of(user), "inspection") & set(hexi)


def test_overdue_is_counted_in_working_days_and_marked(client, users, hand_built):
    item = next(i for i in queue_of(users["fire_heping"]).items if i.pk == hand_built["fire_verify"].pk
                and i.source == "verify")
    assert item.overdue and item.days_late == 3
    client.force_login(users["fire_heping"])
    html = client.get(reverse("work-queue")).content.decode()
    assert "已逾期3个工作日" in html
    assert reverse("finding-detail", args=[hand_built["fire_verify"].pk]) in html
    not_due = next(i for i in queue_of(users["civil_heping"]).items if i.pk == hand_built["civil_verify"].pk)
    assert not not_due.overdue and not_due.days_left > 0


def test_items_are_sorted_by_deadline(users, hand_built):
    dues = [i.due for i in queue_of(users["civil_heping"]).items]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated)
    assert dues[:len(dated)] == dated  # no deadline: last


def _submitted_findings(n, found_by, domain_id, template):
    for _ in range(n):
        copy_finding(template, state=FindingState.SUBMITTED, found_by=found_by, verifying_department=found_by,
                     domain_id=domain_id, rectification_due=working_days_ago(2))


@pytest.mark.parametrize("url_name", ["staff-home", "work-queue", "work-badge"])
def test_query_count_is_the_same_for_1_and_50_items(client, users, django_assert_max_num_queries, url_name):
    civil = dept("civil_affairs")
    template = Finding.objects.filter(found_by=civil).order_by("id").first()
    client.force_login(users["civil_heping"])
    client.get(reverse(url_name))  # warm the scope and calendar caches, as on any later page
    counts = []
    for n in (1, 49):
        _submitted_findings(n, civil, template.domain_id, template)
        # 13: session, user, department, hand-offs, the domain counts and one query per source (8); never per item.
        with django_assert_max_num_queries(13) as captured:
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert sum(1 for i in queue_of(users["civil_heping"]).items if i.source == "verify") >= 50


def test_staff_home_shows_top_items_and_overdue_counts(client, users, hand_built):
    client.force_login(users["fire_heping"])
    html = client.get(reverse("staff-home")).content.decode()
    assert 'data-testid="home-work"' in html
    assert 'data-testid="home-source-verify"' in html
    queue = queue_of(users["fire_heping"])
    assert f'data-testid="home-work-overdue">逾期{queue.overdue}<' in html
    assert reverse("finding-detail", args=[hand_built["fire_verify"].pk]) in html


def test_badge_counts_the_queue(client, users, hand_built):
    client.force_login(users["civil_heping"])
    html = client.get(reverse("work-badge")).content.decode()
    queue = queue_of(users["civil_heping"])
    assert f">{queue.total}<" in html
    assert 'id="inbox-count"' in html and 'hx-swap-oob="true"' in html


def test_staff_navigation_is_grouped_with_the_work_badge(client, users):
    client.force_login(users["civil_heping"])
    html = client.get(reverse("staff-home")).content.decode()
    block = html.split('class="portal-nav"', 1)[1].split("</nav>", 1)[0]
    for menu in ("institutions", "inspections", "catalogs"):
        assert f'data-testid="nav-menu-{menu}"' in block
    assert reverse("plan-list") in block  # civil affairs: the plans in the inspections menu
    assert f'hx-get="{reverse("work-badge")}"' in block
    client.force_login(users["fire_heping"])
    assert reverse("plan-list") not in client.get(reverse("staff-home")).content.decode().split("</nav>", 1)[0]


def test_leader_has_nothing_to_do(users):
    queue = queue_of(users["leader_heping"])
    assert queue.total == 0
