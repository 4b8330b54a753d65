"""A member of the public finds an institution in the directory, without logging in."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def assert_fits(page, width: int):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_public_finds_a_heping_institution_and_reads_its_pledge(page, screenshot):
    page.goto("/public/institutions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("养老机构查询")
    page.get_by_label("机构名称或信用代码").fill("和平区康乐")
    page.get_by_label("所在区").select_option(label="和平区")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"q=%E5%92%8C"))
    expect(page.get_by_test_id("directory-row")).to_have_count(1)
    screenshot(page, "directory-01-search-desktop")

    page.get_by_role("link", name="天津市和平区康乐养老院").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("天津市和平区康乐养老院")
    expect(page.get_by_test_id("filing-status")).to_have_text("已备案")
    expect(page.get_by_test_id("pledge")).to_contain_text("本机构郑重承诺")
    expect(page.get_by_test_id("pledge")).to_contain_text("法定代表人")
    expect(page.get_by_test_id("disclosures")).to_contain_text("入住/退住流程")
    expect(page.get_by_test_id("rating")).to_contain_text("星级")
    expect(page.locator("body")).not_to_contain_text("联系电话")
    screenshot(page, "directory-02-detail-desktop")

    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"])
    screenshot(page, "directory-03-detail-phone")
    page.goto("/public/institutions/?district=&filing_status=returned")
    expect(page.get_by_test_id("directory-row")).to_have_count(16)
    assert_fits(page, PHONE["width"])
    screenshot(page, "directory-04-list-phone")


def test_directory_works_without_javascript(browser, live_server, demo_city, screenshot):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/public/institutions/")
        page.get_by_label("备案状态").select_option(label="未备案")
        page.get_by_role("button", name="查询").click()
        expect(page).to_have_url(re.compile(r"filing_status=unfiled"))
        expect(page.get_by_test_id("directory-row")).to_have_count(16)
        page.get_by_role("link", name="天津市和平区颐养院").click()
        expect(page.get_by_test_id("filing-status")).to_have_text("未备案")
        expect(page.get_by_test_id("pledge")).to_contain_text("尚未完成备案")
        screenshot(page, "directory-05-unfiled-nojs-phone")
    finally:
        context.close()
