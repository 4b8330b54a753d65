"""The filing journey in headless Chromium: an institution files with its pledge → 和平区民政局 returns it
incomplete → the institution sees what is missing and resubmits → approved → the receipt PDF downloads and
says, in Chinese, who was filed."""

import re
from io import BytesIO

import pytest
from django.conf import settings
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PHONE = {"width": 390, "height": 844}


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def upload(page, kind_label, path):
    form = page.locator("form[action*='/materials/']")
    form.get_by_label("材料类型").select_option(label=kind_label)
    form.get_by_label(re.compile("文件")).set_input_files(str(path))
    form.get_by_role("button", name="上传材料").click()
    expect(page.get_by_test_id("materials")).to_contain_text(path.name)


def test_institution_files_is_returned_resubmits_and_gets_a_receipt(page, screenshot, tmp_path):
    for name, content in (("登记证书.pdf", PDF), ("场所证明.pdf", PDF), ("消防验收.png", PNG)):
        (tmp_path / name).write_bytes(content)

    # 1. The institution fills the form, uploads the three required materials, signs the pledge and submits.
    login(page, "inst_1")
    page.goto("/institution/filing/")
    expect(page.get_by_role("heading", level=1)).to_have_text("本机构备案")
    institution_name = page.get_by_label("机构名称").input_value()
    assert institution_name
    page.get_by_label("联系电话").fill("022-23456789")
    page.get_by_label("法定代表人").fill("张建国")
    page.get_by_label("联系人").fill("王丽")
    page.get_by_label("服务范围").fill("生活照料、膳食服务、康复护理")
    page.get_by_role("button", name="保存备案信息").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("填写中")
    upload(page, "登记证书（营业执照/民办非企业单位登记证书/事业单位法人证书）", tmp_path / "登记证书.pdf")
    upload(page, "服务场所权属或使用证明", tmp_path / "场所证明.pdf")
    upload(page, "消防验收/备案或安全检查材料", tmp_path / "消防验收.png")
    expect(page.get_by_test_id("pledge-text")).to_contain_text("消防")
    page.get_by_label("承诺人姓名").fill("张建国")
    page.get_by_label(re.compile("我已阅读并同意")).check()
    page.get_by_role("button", name="签署承诺书").click()
    expect(page.get_by_test_id("pledge-signed")).to_contain_text("张建国")
    screenshot(page, "filing-01-institution-ready")
    page.get_by_role("button", name="提交备案").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("已提交，待审核")

    # 2. 和平区民政局 opens the queue (pending first) and returns it, ticking a missing item.
    login(page, "civil_heping")
    page.goto("/filings/")
    # Pending rows (highlighted) come first; ours is among them, ahead of every reviewed one.
    pending = page.get_by_test_id("filing-queue").locator("tbody tr.table-info", has_text=institution_name)
    expect(pending).to_have_count(1)
    expect(page.get_by_test_id("filing-queue").locator("tbody tr").first).to_have_class("table-info")
    screenshot(page, "filing-02-review-queue")
    pending.get_by_role("link", name=institution_name).click()
    expect(page.get_by_test_id("materials")).to_contain_text("消防验收.png")
    page.get_by_label("食品经营许可或食堂备案材料").check()
    page.get_by_label(re.compile("其他需补正事项")).fill("服务场所权属证明未加盖公章")
    screenshot(page, "filing-03-review-detail")
    page.get_by_role("button", name="退回补正").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("退回补正")

    # 3. The institution sees what is missing — on a phone — and resubmits.
    login(page, "inst_1")
    page.set_viewport_size(PHONE)
    page.goto("/institution/filing/")
    missing = page.get_by_test_id("missing-items")
    expect(missing).to_contain_text("食品经营许可或食堂备案材料")
    expect(missing).to_contain_text("服务场所权属证明未加盖公章")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "filing-04-institution-returned-phone")
    page.get_by_role("button", name="重新提交备案").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("已提交，待审核")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 4. 和平区民政局 approves and downloads the receipt.
    login(page, "civil_heping")
    page.goto("/filings/?state=submitted")
    page.get_by_role("link", name=institution_name).first.click()
    page.get_by_role("button", name="材料齐全，予以备案").click()
    expect(page.get_by_test_id("receipt-number")).to_have_text(re.compile(r"津民养备〔\d{4}〕120101-\d{4}"))
    screenshot(page, "filing-05-approved")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载备案回执（PDF）").click()
    path = info.value.path()
    data = open(path, "rb").read()
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages))
    assert "备案回执" in text and re.sub(r"\s+", "", institution_name) in text
