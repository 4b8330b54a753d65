"""A district leader and the city bureau open the supervision dashboard (seed 004), switch district, see the
charts drawn by the vendored Chart.js, and download the filled 评估表."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def open_dashboard(page):
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管效能").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("监管效能")


def charts_drawn(page) -> bool:
    """Both charts visible and painted by Chart.js (the canvas has a chart instance)."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-chart]')].every(
        box => !box.hidden && window.Chart && window.Chart.getChart(box.querySelector('canvas')))""")


def download_form(page, tmp_path, name):
    from openpyxl import load_workbook

    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    path = tmp_path / name
    info.value.save_as(path)
    sheet = load_workbook(path).active
    assert any(str(sheet.cell(r, 2).value or "").startswith("4.17 ") for r in range(1, sheet.max_row + 1))
    return sheet


def test_leader_and_city_bureau_read_the_dashboard_and_download_the_form(page, screenshot, tmp_path):
    login(page, "leader_heping")
    open_dashboard(page)
    expect(page.get_by_test_id("jurisdiction")).to_have_text("和平区")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    # The leader's jurisdiction is its district only.
    assert page.get_by_label("辖区", exact=True).locator("option").all_inner_texts() == ["和平区"]
    expect(page.get_by_test_id("indicator-2.5")).to_contain_text("备案后20个工作日内现场检查")
    page.wait_for_function("() => document.querySelector('[data-chart=\"months\"]') && "
                           "!document.querySelector('[data-chart=\"months\"]').hidden")
    assert charts_drawn(page)
    sheet = download_form(page, tmp_path, "heping.xlsx")
    assert sheet.cell(2, 2).value == "和平区"
    screenshot(page, "dashboard-01-leader-heping-desktop")

    login(page, "civil_city")
    open_dashboard(page)
    expect(page.get_by_test_id("jurisdiction")).to_have_text("天津市")
    city_districts = page.get_by_test_id("districts-table").locator("tbody tr").count()
    assert city_districts == 16
    screenshot(page, "dashboard-02-city-desktop")
    # Switch to 河西区 with the form (works without JavaScript: a GET form).
    page.get_by_label("辖区", exact=True).select_option(label="河西区")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_test_id("jurisdiction")).to_have_text("河西区")
    assert page.get_by_test_id("districts-table").locator("tbody tr").all_inner_texts()[0].startswith("河西区")
    assert charts_drawn(page)
    sheet = download_form(page, tmp_path, "hexi.xlsx")
    assert sheet.cell(2, 2).value == "河西区"
    screenshot(page, "dashboard-03-city-hexi-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_test_id("jurisdiction")).to_have_text("河西区")
    assert charts_drawn(page)
    # Nothing wider than the phone: the tables scroll inside their own box.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "dashboard-04-city-hexi-phone")
