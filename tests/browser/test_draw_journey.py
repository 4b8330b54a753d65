"""civil_city creates a plan and draws (issue 4, "Must show"); then the public re-runs the draw and sees 一致."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TITLE = "2026年度和平区消防与食品安全联合抽查"


def assert_fits(page, width: int):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_civil_city_creates_a_plan_and_draws_and_the_public_verifies(page, browser, live_server, screenshot):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("civil_city")
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    main_nav = page.get_by_role("navigation", name="主导航")
    main_nav.get_by_role("button", name="检查与整改").click()  # the staff navigation groups its pages in menus
    main_nav.get_by_role("link", name="抽查计划").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("年度抽查计划")
    page.get_by_role("link", name="新建计划").click()
    page.get_by_label("牵头部门").select_option(label="和平区民政局")
    page.get_by_label("年度").fill("2026")
    page.get_by_label("计划名称").fill(TITLE)
    page.get_by_label("参与部门").select_option(label=["和平区消防救援支队", "和平区市场监督管理局"])
    page.get_by_label("抽查比例").fill("0.5")
    screenshot(page, "draw-01-plan-form-desktop")
    page.get_by_role("button", name="保存计划").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("plan-state")).to_have_text("草稿")
    page.get_by_role("button", name="发布计划").click()
    expect(page.get_by_test_id("plan-state")).to_have_text("已发布")
    expect(page.get_by_label("抽取机构数")).to_have_value("2")  # ceil(0.5 × 4 institutions of 和平区)
    screenshot(page, "draw-02-plan-published-desktop")

    page.get_by_role("button", name="第一步：公布承诺").click()
    expect(page.get_by_test_id("draw-state")).to_have_text("已公布承诺")
    commitment_hash = page.get_by_test_id("commitment-hash").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment_hash)
    expect(page.get_by_test_id("seed")).to_have_text("保密，抽取后公开")
    screenshot(page, "draw-03-committed-desktop")

    page.get_by_role("button", name="第二步：抽取并公开种子").click()
    expect(page.get_by_test_id("draw-state")).to_have_text("已抽取并公开种子")
    rows = page.get_by_test_id("assignment-row")
    expect(rows).to_have_count(2)
    for n in range(2):  # a joint team: one from each of the three departments whose items the plan covers
        team = rows.nth(n).get_by_test_id("team-member")
        expect(team).to_have_count(3)
        for department in ("和平区民政局", "和平区消防救援支队", "和平区市场监督管理局"):
            expect(rows.nth(n)).to_contain_text(department)
    seed = page.get_by_test_id("seed").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", seed)
    screenshot(page, "draw-04-executed-teams-desktop")
    draw_url = page.get_by_role("link", name="公开页面").get_attribute("href")

    # The public, without an account (and without JavaScript): the commitment it saw is the one verified.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=live_server.url, java_script_enabled=False)
    public = context.new_page()
    try:
        public.goto(draw_url)
        expect(public.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(public.get_by_test_id("commitment-hash")).to_have_text(commitment_hash)
        expect(public.get_by_test_id("seed")).to_have_text(seed)
        expect(public.get_by_test_id("assignment-row")).to_have_count(2)
        public.get_by_role("button", name="在线核验").click()
        expect(public.get_by_test_id("verification")).to_contain_text("核验结果：一致")
        screenshot(public, "draw-05-public-verified-desktop")
        public.set_viewport_size(PHONE)
        assert_fits(public, PHONE["width"])
        screenshot(public, "draw-06-public-verified-phone")
        public.goto("/public/draws/")
        expect(public.get_by_text(TITLE)).to_be_visible()
        assert_fits(public, PHONE["width"])
        screenshot(public, "draw-07-public-list-phone")
    finally:
        context.close()
