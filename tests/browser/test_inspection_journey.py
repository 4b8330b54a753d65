"""The on-site inspection journey in headless Chromium on a phone (390×844): inspector_1 opens the inspection
assigned to them, records the item results and a 消防 finding with a photo, signs; inspector_2 signs; 和平区民政局
publishes; the public result page and the institution's public page show it — without the finding text or any
inspector's name."""

import io

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import IMAGE_WIDTH_WHEN_LOADED

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


@pytest.fixture
def phone(browser, live_server, demo_city):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def assigned_inspection(demo_city):
    """A special inspection of 和平区康乐养老院 by 民政 and 消防, inspectors 1 and 2, already notified."""
    from django.contrib.auth import get_user_model

    from agencies.calendar import add_working_days
    from agencies.models import Department
    from inspections.demo import ensure_demo_inspectors
    from inspections.models import ChecklistItem
    from inspections.services import inspection_create, inspection_notify
    from institutions.models import Institution

    civil_heping = get_user_model().objects.get(username="civil_heping")
    inspectors = ensure_demo_inspectors()
    inspection = inspection_create(
        civil_heping, institution=Institution.objects.get(name="天津市和平区康乐养老院"), kind="special",
        lead_department=Department.objects.get(kind__code="civil_affairs", region__code="120101"),
        departments=[Department.objects.get(kind__code="fire_rescue", region__code="120101")],
        inspector_ids=[inspectors["inspector_1"].pk, inspectors["inspector_2"].pk],
        scheduled_for=add_working_days(timezone.localdate(), 5),
        items=ChecklistItem.objects.filter(version__active=True,
                                           code__in=["KEY-SVC-01", "KEY-SVC-19", "KEY-FIRE-03", "KEY-FIRE-04"]))
    inspection_notify(civil_heping, inspection)
    return inspection


def test_inspector_records_a_fire_finding_on_a_phone_and_the_public_sees_the_result(
        phone, page, assigned_inspection, screenshot, tmp_path):
    photo = tmp_path / "疏散通道.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 40)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    pk = assigned_inspection.pk

    # 1. inspector_1, on a phone, finds the inspection assigned to them and starts it.
    login(phone, "inspector_1")
    phone.goto("/inspections/?mine=1")
    expect(phone.get_by_test_id("inspection-list")).to_contain_text("天津市和平区康乐养老院")
    # The demo draw also gave inspector_1 a planned inspection there: open the one assigned in this test.
    phone.locator(f'a[href="/inspections/{pk}/"]').first.click()
    expect(phone.get_by_test_id("inspection-state")).to_have_text("已通知")
    phone.get_by_role("button", name="开始现场检查").click()
    expect(phone.get_by_test_id("inspection-state")).to_have_text("检查中")
    # The page fits the phone: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 2. Item by item: three pass; the fire-safety management item fails.
    for code in ("KEY-SVC-01", "KEY-SVC-19", "KEY-FIRE-04"):
        phone.get_by_test_id(f"item-{code}").get_by_text("合格", exact=True).click()
    phone.get_by_test_id("item-KEY-FIRE-03").get_by_text("不合格", exact=True).click()
    screenshot(phone, "inspection-01-items-phone")
    phone.get_by_role("button", name="保存检查结果").click()
    expect(phone.get_by_role("status")).to_contain_text("已保存 4 项检查结果")

    # 3. A 消防 finding with a photo; a missing description is named first and nothing is lost.
    form = phone.get_by_test_id("finding-form")
    form.get_by_label("检查事项").select_option(label=phone.locator("#id_checklist_item option", has_text="KEY-FIRE-03")
                                           .inner_text())
    form.get_by_label("整改期限（工作日）").fill("15")
    form.get_by_role("button", name="记录问题").click()
    form = phone.get_by_test_id("finding-form")
    expect(form).to_contain_text("该字段是必填项")
    assert form.get_by_label("整改期限（工作日）").input_value() == "15"
    form.get_by_label("问题描述").fill("二层疏散通道堆放杂物，常闭式防火门处于开启状态。")
    form.get_by_label("法律依据").fill("《中华人民共和国消防法》第二十八条")
    form.get_by_label("现场照片").set_input_files(str(photo))
    screenshot(phone, "inspection-02-finding-form-phone")
    form.get_by_role("button", name="记录问题").click()
    expect(phone.get_by_role("status")).to_contain_text("已记录问题：消防安全")
    findings = phone.get_by_test_id("execute-findings")
    expect(findings).to_contain_text("二层疏散通道堆放杂物")
    expect(findings.get_by_role("img")).to_have_count(1)
    thumbnail = findings.get_by_role("img")
    thumbnail.scroll_into_view_if_needed()  # thumbnails load lazily; wait for this one rather than race it
    assert thumbnail.evaluate(IMAGE_WIDTH_WHEN_LOADED) == 320  # served, and it is the photo

    # 4. inspector_1 signs; one signature does not complete the record.
    phone.get_by_role("button", name="确认检查记录并签字").click()
    expect(phone.get_by_test_id("signatures")).to_contain_text("✓")
    expect(phone.get_by_test_id("inspection-state")).to_have_text("检查中")
    screenshot(phone, "inspection-03-signed-phone")

    # 5. inspector_2 (消防) signs: the inspection is complete.
    login(phone, "inspector_2")
    phone.goto(f"/inspections/{pk}/execute/")
    expect(phone.get_by_test_id("execute-findings")).to_contain_text("二层疏散通道堆放杂物")
    phone.get_by_role("button", name="确认检查记录并签字").click()
    expect(phone.get_by_test_id("inspection-state")).to_have_text("已完成")

    # 6. 和平区民政局 publishes the result.
    login(page, "civil_heping")
    page.goto(f"/inspections/{pk}/")
    expect(page.get_by_test_id("inspection-findings")).to_contain_text("二层疏散通道堆放杂物")
    page.get_by_role("button", name="公开检查结果").click()
    expect(page.get_by_test_id("inspection-state")).to_have_text("已公开")
    screenshot(page, "inspection-04-published-staff")
    # Coverage: 康乐养老院 now counts as inspected this year in 和平区.
    page.goto("/inspections/coverage/?district=120101")
    expect(page.get_by_test_id("coverage")).to_contain_text("和平区")
    expect(page.get_by_test_id("not-inspected")).not_to_contain_text("天津市和平区康乐养老院")
    screenshot(page, "inspection-07-coverage")

    # 7. The public: the results list, the result, the institution's own page — counts, no names, no texts.
    page.context.clear_cookies()
    page.goto("/public/inspection-results/")
    expect(page.get_by_test_id("public-results")).to_contain_text("天津市和平区康乐养老院")
    page.get_by_role("link", name="天津市和平区康乐养老院").first.click()
    expect(page.get_by_test_id("result-findings")).to_contain_text("消防安全")
    expect(page.get_by_test_id("result-summary")).to_contain_text("发现问题隐患1处")
    expect(page.get_by_test_id("result-rectification")).to_contain_text("待整改")
    body = page.locator("main").inner_text()
    for private in ("何平", "马骏", "二层疏散通道", "李娜"):
        assert private not in body
    screenshot(page, "inspection-05-public-result")
    page.set_viewport_size(PHONE)
    screenshot(page, "inspection-06-public-result-phone")
    page.get_by_role("link", name="天津市和平区康乐养老院").first.click()
    expect(page.get_by_test_id("inspection-results")).to_contain_text("发现问题隐患1处")
