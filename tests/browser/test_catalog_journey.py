"""User journeys through the duty catalog, in headless Chromium against the live server."""

import csv
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from agencies.reference import DATA_DIR

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def csv_references(column: str, code: str) -> set[str]:
    """References of the duties whose `column` lists `code`, read straight from the reference data."""
    with open(DATA_DIR / "duties.csv", encoding="utf-8", newline="") as f:
        return {row["task_no"] if row["task_no"].startswith("001-") else f"000任务{row['task_no']}"
                for row in csv.DictReader(f) if code in row[column].split(";")}


def shown_references(page) -> list[str]:
    return page.locator("#duty-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reference)")


def assert_fits(page, width: int):
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_staff_filters_the_catalog_by_fire_rescue(page, screenshot):
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="登录").click()
    screenshot(page, "01-login-desktop")
    page.get_by_label("用户名").fill("civil_heping")
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_test_id("greeting")).to_contain_text("和平区民政局")
    expect(page.get_by_test_id("who")).to_contain_text("和平区民政局")
    screenshot(page, "02-staff-home-desktop")

    main_nav = page.get_by_role("navigation", name="主导航")
    main_nav.get_by_role("button", name="清单与公开").click()  # the staff navigation groups its pages in menus
    main_nav.get_by_role("link", name="监管职责清单").click()
    expect(page.get_by_test_id("result-count")).to_contain_text("共 92 项职责")
    # Choosing a department is enough: htmx swaps the results and pushes the filtered URL.
    page.get_by_label("责任部门").select_option(label="消防救援机构")
    expected = csv_references("departments", "fire_rescue")
    expect(page.locator("#duty-results tbody tr")).to_have_count(len(expected))
    expect(page).to_have_url(re.compile(r"department_kind=fire_rescue"))
    assert sorted(shown_references(page)) == sorted(expected)
    expect(page.get_by_test_id("result-count")).to_contain_text(f"共 {len(expected)} 项职责")
    screenshot(page, "03-catalog-fire-rescue-desktop")

    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"])
    screenshot(page, "04-catalog-fire-rescue-phone")
    page.goto("/staff/")
    assert_fits(page, PHONE["width"])
    screenshot(page, "05-staff-home-phone")


def test_visitor_filters_the_public_catalog_by_fire_safety_without_javascript(browser, live_server, demo_city,
                                                                              screenshot):
    """The public catalog needs no login and no JavaScript: the form is a plain GET."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        screenshot(page, "06-public-home-phone")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管清单").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("养老服务综合监管清单")
        page.get_by_label("监管领域").select_option(label="消防安全")
        page.get_by_role("button", name="查询").click()

        expect(page).to_have_url(re.compile(r"domain=fire_safety"))
        expected = csv_references("domains", "fire_safety")
        assert sorted(shown_references(page)) == sorted(expected)
        for badge_cell in page.locator("#duty-results tbody tr td:nth-child(5)").all_inner_texts():
            assert "消防安全" in badge_cell
        assert_fits(page, PHONE["width"])
        screenshot(page, "07-public-catalog-fire-safety-phone")
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot(page, "08-public-catalog-fire-safety-desktop")
    finally:
        context.close()
