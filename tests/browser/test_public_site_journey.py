"""The public site as one whole (home → search → an institution → open data), on a desktop and on a phone and
without script; and a civil servant who starts an import and watches its progress bar reach done."""

import csv
import io
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
KANGLE = "天津市和平区康乐养老院"


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def walk_home_search_institution_open_data(page, screenshot, label: str, width: int):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("养老服务综合监管信息公开")
    expect(page.get_by_test_id("section-institutions").get_by_test_id("count")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("footer")).to_contain_text("主办：天津市民政局")
    assert fits(page, width)
    screenshot(page, f"public-site-01-home-{label}")

    page.get_by_label("查询养老机构及其公开信息").fill("康乐养老")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/public/search/\?q="))
    expect(page.get_by_role("navigation", name="位置")).to_contain_text("首页")
    expect(page.get_by_test_id("search-result").filter(has_text=KANGLE)).to_have_count(1)
    assert fits(page, width)
    screenshot(page, f"public-site-02-search-{label}")

    page.get_by_role("link", name=KANGLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(KANGLE)
    expect(page.locator("body")).not_to_contain_text("联系电话")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="开放数据").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("开放数据")
    dataset = page.locator('[data-slug="institutions"]')
    dataset.get_by_text("数据字典").click()
    expect(dataset.get_by_text("uscc", exact=True)).to_be_visible()
    assert fits(page, width)
    screenshot(page, f"public-site-03-open-data-{label}")
    with page.expect_download() as download_info:
        dataset.get_by_test_id("download-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("institutions-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert KANGLE in {row["name"] for row in rows}


def test_public_walks_home_search_institution_and_open_data_on_desktop(page, screenshot):
    walk_home_search_institution_open_data(page, screenshot, "desktop", 1280)


def test_public_walks_home_search_institution_and_open_data_on_a_phone(browser, live_server, demo_city, screenshot):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        walk_home_search_institution_open_data(context.new_page(), screenshot, "phone", PHONE["width"])
    finally:
        context.close()


def test_public_site_reads_without_javascript(browser, live_server, demo_city, screenshot):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("查询养老机构及其公开信息").fill("和平")
        page.get_by_role("button", name="搜索").click()
        expect(page.get_by_test_id("search-count")).to_contain_text("含和平区的全部机构")
        page.goto("/public/open-data/")
        expect(page.get_by_test_id("dataset")).to_have_count(7)
        screenshot(page, "public-site-04-open-data-nojs-phone")
    finally:
        context.close()


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def test_civil_servant_imports_a_sheet_and_watches_the_progress_bar_reach_done(page, screenshot, tmp_path):
    from tests.institutions.test_excel import row, workbook_bytes

    sheet = tmp_path / "名录.xlsx"
    sheet.write_bytes(workbook_bytes([row(n) for n in range(1, 41)]))
    login(page, "civil_heping")
    page.goto("/institutions/import/")
    page.get_by_label("机构名录Excel文件（.xlsx）").set_input_files(str(sheet))
    page.get_by_role("button", name="上传并导入").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("job-progress")).to_have_attribute("value", "40")
    expect(page.get_by_test_id("job-progress")).to_have_attribute("max", "40")
    expect(page.get_by_test_id("job-message")).to_have_text("导入完成：新增 40 家，更新 0 家，未变化 0 家。")
    screenshot(page, "jobs-01-import-done-desktop")

    # Leave, and come back through "my jobs".
    page.goto("/")
    page.get_by_role("link", name="后台任务").click()
    page.get_by_test_id("job-row").first.get_by_role("link").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已完成")


def test_the_progress_bar_moves_while_the_job_runs(page, screenshot):
    """The worker reports while the owner watches: htmx refreshes the bar until the job is done."""
    from django.contrib.auth import get_user_model

    from agencies import jobs
    from agencies.models import BackgroundJob

    owner = get_user_model().objects.get(username="civil_heping")
    job = BackgroundJob.objects.create(owner=owner, kind="test", title="导入养老机构名录（演示）")
    jobs.job_start(job.pk)
    jobs.job_progress(job.pk, 30, 100)
    login(page, "civil_heping")
    page.goto(f"/jobs/{job.pk}/")
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("value", "30")
    page.set_viewport_size(PHONE)
    screenshot(page, "jobs-02-running-phone")
    jobs.job_progress(job.pk, 70, 100)
    expect(progress).to_have_attribute("value", "70")  # no reload: htmx swapped the status box
    jobs.job_finish(job.pk, message="导入完成：新增 100 家。", result_url="/public/institutions/")
    expect(page.get_by_test_id("job-state")).to_have_text("已完成")
    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_test_id("job-result")).to_be_visible()
    assert fits(page, PHONE["width"])
    screenshot(page, "jobs-03-done-phone")
