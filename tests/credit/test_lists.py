"""The list procedure (民发〔2019〕103号): who may propose, no skipped step, no decision before the window closes,
the objection, publication, and that a removed or repaired entry leaves the public list the same day."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.calendar import add_working_days
from agencies.models import AuditEvent
from credit.choices import OBJECTION_WORKING_DAYS, BlacklistGround, ListKind, ListState, RedGround, WatchGround
from credit.models import IndustryBan
from credit.selectors import is_banned, public_list_entries
from credit.services import hash_id_number
from credit.services.lists import (
    credit_repair_apply,
    credit_repair_approve,
    list_entry_decide,
    list_entry_notify,
    list_entry_object,
    list_entry_propose,
    list_entry_publish,
    list_entry_remove,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 12)  # a Monday


def _propose(users, heping, domains, **kw):
    return list_entry_propose(
        users["fire_heping"], institution=heping["福寿老年公寓"], list_kind=ListKind.BLACK,
        ground=BlacklistGround.FIRE_HAZARD_UNRECTIFIED, domain_obj=domains["fire_safety"],
        facts="重大火灾隐患经责令限期整改后逾期拒不整改。", on=DAY, **kw)


def test_fire_proposes_blacklist_in_its_own_domain_only(users, heping, domains):
    entry = _propose(users, heping, domains)
    assert entry.department.name == "和平区消防救援支队"
    assert entry.legal_basis.startswith("民发〔2019〕103号")
    # Not in a domain fire does not supervise (谁监管、谁列入) …
    with pytest.raises(PermissionDenied):
        list_entry_propose(users["fire_heping"], institution=heping["康乐养老院"], list_kind=ListKind.BLACK,
                           ground=BlacklistGround.FUND_FRAUD, domain_obj=domains["funds"], facts="骗取补贴", on=DAY)
    # … nor for an institution outside its district …
    hexi = heping["福寿老年公寓"].__class__.objects.get(name="天津市河西区福寿老年公寓")
    with pytest.raises(PermissionDenied):
        list_entry_propose(users["fire_heping"], institution=hexi, list_kind=ListKind.BLACK,
                           ground=BlacklistGround.FIRE_HAZARD_UNRECTIFIED, domain_obj=domains["fire_safety"],
                           facts="x", on=DAY)
    # … and the watch and red lists are civil affairs' to decide.
    with pytest.raises(PermissionDenied):
        list_entry_propose(users["fire_heping"], institution=heping["康乐养老院"], list_kind=ListKind.WATCH,
                           ground=WatchGround.MANY_COMPLAINTS, facts="x", on=DAY)
    red = list_entry_propose(users["civil_heping"], institution=heping["康乐养老院"], list_kind=ListKind.RED,
                             ground=RedGround.HIGH_CREDIT, facts="连续三年无不良记录", on=DAY)
    assert red.domain.code == "credit"


def test_cannot_skip_a_step_or_beat_the_window(users, heping, domains):
    entry = _propose(users, heping, domains)
    with pytest.raises(ValidationError):
        list_entry_decide(users["fire_heping"], entry, on=DAY)  # not yet notified
    with pytest.raises(ValidationError):
        list_entry_publish(users["fire_heping"], entry, on=DAY)
    entry = list_entry_notify(users["fire_heping"], entry, on=DAY)
    assert entry.objection_due == add_working_days(DAY, OBJECTION_WORKING_DAYS)
    for day in (DAY, entry.objection_due):
        with pytest.raises(ValidationError) as err:
            list_entry_decide(users["fire_heping"], entry, on=day)
        assert "decided_on" in err.value.error_dict
    # Another department cannot act for the listing one, even after the window.
    with pytest.raises(PermissionDenied):
        list_entry_decide(users["civil_heping"], entry, on=entry.objection_due + dt.timedelta(days=1))
    entry = list_entry_decide(users["fire_heping"], entry, on=entry.objection_due + dt.timedelta(days=1))
    assert entry.state == ListState.DECIDED
    assert not public_list_entries(on=entry.decided_on).filter(pk=entry.pk).exists()
    entry = list_entry_publish(users["fire_heping"], entry, on=entry.decided_on)
    assert public_list_entries(on=entry.published_on).filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(object_type="credit.listentry", object_id=str(entry.pk)).count() == 4


def test_objection_within_the_window_must_be_answered(users, heping, domains):
    entry = list_entry_notify(users["fire_heping"], _propose(users, heping, domains), on=DAY)
    with pytest.raises(PermissionDenied):
        list_entry_object(users["inst_1"], entry, "不是本机构", on=DAY)  # another institution's account
    late = entry.objection_due + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        list_entry_object(users["inst_3"], entry, "已整改", on=late)
    entry = list_entry_object(users["inst_3"], entry, "我单位已完成整改，请求不予列入。", on=DAY)
    assert entry.state == ListState.OBJECTED
    with pytest.raises(ValidationError) as err:
        list_entry_decide(users["fire_heping"], entry, note="", on=late)
    assert "decision_note" in err.value.error_dict
    entry = list_entry_decide(users["fire_heping"], entry, note="经复查隐患仍未消除，异议不成立。", on=late)
    assert entry.state == ListState.DECIDED


def _published(users, heping, domains, **kw):
    entry = list_entry_notify(users["fire_heping"], _propose(users, heping, domains, **kw), on=DAY)
    after = entry.objection_due + dt.timedelta(days=1)
    entry = list_entry_decide(users["fire_heping"], entry, on=after)
    return list_entry_publish(users["fire_heping"], entry, on=after)


def test_removed_entry_leaves_the_public_list_the_same_day(users, heping, domains):
    entry = _published(users, heping, domains)
    removal_day = entry.published_on + dt.timedelta(days=30)
    assert public_list_entries(on=removal_day).filter(pk=entry.pk).exists()
    with pytest.raises(ValidationError):
        list_entry_remove(users["fire_heping"], entry, reason="", on=removal_day)
    list_entry_remove(users["fire_heping"], entry, reason="行政处罚决定被依法撤销", on=removal_day)
    assert not public_list_entries(on=removal_day).filter(pk=entry.pk).exists()


def test_repaired_entry_leaves_the_public_list_the_same_day_and_says_why(users, heping, domains):
    entry = _published(users, heping, domains)
    day = entry.published_on + dt.timedelta(days=60)
    with pytest.raises(PermissionDenied):
        credit_repair_apply(users["inst_2"], entry, "已整改", on=day)
    repair = credit_repair_apply(users["inst_3"], entry, "重大火灾隐患已整改完毕，经复查合格。", on=day)
    with pytest.raises(PermissionDenied):
        credit_repair_approve(users["civil_heping"], repair, "同意", on=day)
    credit_repair_approve(users["fire_heping"], repair, "经现场复查，隐患已消除。", on=day)
    entry.refresh_from_db()
    assert entry.state == ListState.REPAIRED and entry.ended_on == day
    assert "隐患已消除" in entry.end_reason
    assert not public_list_entries(on=day).filter(pk=entry.pk).exists()


def test_elder_abuse_bans_the_person_from_the_trade(users, heping, domains):
    civil = users["civil_heping"]
    entry = list_entry_propose(
        civil, institution=heping["夕阳红养护中心"], list_kind=ListKind.BLACK, ground=BlacklistGround.ELDER_ABUSE,
        domain_obj=domains["operations_order"], facts="护理员殴打老年人，受到行政处罚。", on=DAY,
        persons=[{"role": "staff", "name": "张三", "id_number": "12010119800101123X"}])
    entry = list_entry_notify(civil, entry, on=DAY)
    after = entry.objection_due + dt.timedelta(days=1)
    list_entry_publish(civil, list_entry_decide(civil, entry, on=after), on=after)
    digest = hash_id_number("12010119800101123x")
    assert is_banned("张三", digest, on=after)
    assert not is_banned("李四", digest, on=after)
    assert IndustryBan.objects.get().person.id_number_tail == "123X"
    assert "12010119800101123X" not in str(list(entry.persons.values()))


def test_nightly_run_expires_entries_and_proposes_late_filers(users, heping, domains):
    from credit.choices import EventKind
    from credit.models import CreditEvent, ListEntry
    from credit.services.lists import late_filers_propose, list_entries_expire
    from institutions.models import Institution

    entry = _published(users, heping, domains)
    list_entries_expire(on=entry.listed_until)
    entry.refresh_from_db()
    assert entry.state == ListState.PUBLISHED  # still within its term on its last day
    assert list_entries_expire(on=entry.listed_until + dt.timedelta(days=1)) == 1
    entry.refresh_from_db()
    assert entry.state == ListState.EXPIRED and not public_list_entries(on=entry.listed_until).filter(
        pk=entry.pk).exists()

    late = Institution.objects.filter(registered_not_filed=True, status="operating")
    assert late.exists()
    proposed = late_filers_propose(on=DAY)
    assert proposed >= 1
    assert late_filers_propose(on=DAY) == 0  # once a year, not every night
    for inst in late:
        assert CreditEvent.objects.filter(institution=inst, kind=EventKind.LATE_FILING).count() == 1
        assert ListEntry.objects.filter(institution=inst, list_kind=ListKind.WATCH).exists()
