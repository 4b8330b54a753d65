"""fire_heping proposes a blacklist entry for an unrectified major fire hazard → the institution objects → the
decision after the objection window → the public list shows it → credit repair → it leaves the public list.

The clock is driven by moving the entry's notice back in time in the database (as if the window had passed),
never by sleeping."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def test_blacklist_objection_decision_publication_and_repair(page, screenshot):
    from agencies.calendar import add_working_days
    from credit.choices import OBJECTION_WORKING_DAYS
    from credit.models import ListEntry
    from institutions.models import Institution

    inst = Institution.objects.get(name="天津市和平区福寿老年公寓")  # inst_3's institution
    login(page, "fire_heping")
    page.goto(f"/credit/institutions/{inst.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("福寿老年公寓")
    form = page.get_by_test_id("propose-form")
    form.get_by_label("名单").select_option(label="失信联合惩戒对象名单")
    form.get_by_label("列入事由").select_option(label="存在重大火灾隐患，经消防救援机构通知后拒不整改")
    form.get_by_label("事由所属监管领域").select_option(label="消防安全")
    form.get_by_label("事实").fill("2026年9月检查发现疏散楼梯堵塞、自动喷水灭火系统瘫痪（重大火灾隐患），"
                                  "责令限期整改，逾期拒不整改。")
    screenshot(page, "credit-01-propose")
    form.get_by_role("button", name="提请列入").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("拟列入")
    page.get_by_role("button", name="告知机构").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("已告知（异议期）")
    entry = ListEntry.objects.get(institution=inst)
    # Deciding inside the window is refused.
    page.get_by_role("button", name="决定列入").click()
    expect(page.get_by_role("alert")).to_contain_text("届满后方可作出决定")
    screenshot(page, "credit-02-notified-window-open")

    login(page, "inst_3")
    page.goto(f"/credit/entries/{entry.pk}/")
    page.get_by_label("陈述申辩（异议）").fill("本机构已开始整改，请求给予整改期限。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("已提出异议")
    screenshot(page, "credit-03-objection")

    # The window passes: the notice was sent ten working days ago.
    notified = timezone.localdate() - dt.timedelta(days=16)
    ListEntry.objects.filter(pk=entry.pk).update(
        proposed_on=notified, notified_on=notified, objected_on=notified + dt.timedelta(days=1),
        objection_due=add_working_days(notified, OBJECTION_WORKING_DAYS))

    login(page, "fire_heping")
    page.goto(f"/credit/entries/{entry.pk}/")
    page.get_by_label("说明（决定、不予列入、移出时填写）").fill("经复查，重大火灾隐患仍未消除，异议不成立。")
    page.get_by_role("button", name="决定列入").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("已决定列入")
    page.get_by_role("button", name="向社会公布").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("已公布")
    screenshot(page, "credit-04-published")

    page.context.clear_cookies()
    page.goto("/public/credit/")
    row = page.get_by_test_id("public-entry").filter(has_text="福寿老年公寓")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("民发〔2019〕103号")
    expect(row).to_contain_text("和平区消防救援支队")
    screenshot(page, "credit-05-public-list")
    page.goto(f"/public/institutions/{inst.pk}/")
    expect(page.get_by_test_id("credit-grade")).to_contain_text("失信联合惩戒对象名单")
    screenshot(page, "credit-06-public-institution")

    login(page, "inst_3")
    page.goto(f"/credit/entries/{entry.pk}/")
    page.get_by_label("整改情况说明").fill("疏散楼梯已清理，喷淋系统已修复并经检测合格。")
    page.get_by_role("button", name="提交修复申请").click()
    expect(page.get_by_test_id("repairs")).to_contain_text("待审核")

    login(page, "fire_heping")
    page.goto(f"/credit/entries/{entry.pk}/")
    page.get_by_placeholder("审核意见").fill("经现场复查，隐患已消除。")
    page.get_by_role("button", name="同意修复").click()
    expect(page.get_by_test_id("entry-state")).to_have_text("信用修复移出")
    expect(page.get_by_test_id("end-reason")).to_contain_text("隐患已消除")
    screenshot(page, "credit-07-repaired")

    page.context.clear_cookies()
    page.goto("/public/credit/")
    expect(page.get_by_test_id("public-entry").filter(has_text="福寿老年公寓")).to_have_count(0)
    screenshot(page, "credit-08-public-list-after-repair")
