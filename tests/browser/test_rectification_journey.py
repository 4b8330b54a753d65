"""The rectification journey in headless Chromium: a 消防 finding at 天津市和平区颐养院 (inst_1) → the institution
submits its measures with a photo → 和平区消防救援支队 (fire_heping), which found it, verifies and closes it
(谁检查、谁验收) → the institution sees it closed."""

import struct
import zlib

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import IMAGE_WIDTH_WHEN_LOADED, open_from_menu

pytestmark = pytest.mark.browser


def png(width=4, height=3) -> bytes:
    """A real (tiny, red) PNG, so that the evidence is an image a browser can open."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


@pytest.fixture
def fire_finding(demo_city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from agencies.calendar import add_working_days
    from agencies.models import Department, Domain
    from inspections.models import Finding
    from institutions.models import Institution

    fire = Department.objects.get(kind__code="fire_rescue", region__code="120101")
    institution = Institution.objects.get(name="天津市和平区颐养院")  # the account inst_1
    found_on = timezone.localdate()
    return Finding.objects.create(
        institution=institution, domain=Domain.objects.get(code="fire_safety"), found_by=fire,
        verifying_department=fire, text="二层疏散通道堆放杂物，安全出口指示标志不亮。", severity="general",
        basis="《中华人民共和国消防法》第二十八条", found_on=found_on, rectification_working_days=5,
        rectification_due=add_working_days(found_on, 5))


def test_institution_rectifies_and_fire_heping_verifies(page, screenshot, tmp_path, fire_finding):
    photo = tmp_path / "整改后通道照片.png"
    photo.write_bytes(png())

    # 1. The institution finds the finding among its own and answers it.
    login(page, "inst_1")
    page.get_by_role("link", name="问题整改").click()
    row = page.locator(f'tr[data-finding="{fire_finding.pk}"]')
    expect(row).to_contain_text("二层疏散通道堆放杂物")
    expect(row).to_contain_text("待整改")
    screenshot(page, "rectification-1-institution-findings")
    row.get_by_role("link", name="提交整改").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交整改报告")
    page.get_by_label("整改措施").fill("已清理二层疏散通道杂物，更换安全出口指示标志3处，安排专人每日巡查并登记。")
    page.get_by_label("佐证材料（照片或PDF，可多选）").set_input_files(str(photo))
    screenshot(page, "rectification-2-institution-form")
    page.get_by_role("button", name="提交整改报告").click()
    expect(page.get_by_role("status").first).to_contain_text("和平区消防救援支队")
    expect(page.locator(f'tr[data-finding="{fire_finding.pk}"]')).to_contain_text("整改待验收")

    # 2. 和平区消防救援支队 finds it in its queue, opens the photo and closes the finding.
    login(page, "fire_heping")
    open_from_menu(page, "检查与整改", "整改验收")
    page.locator(f'tr[data-finding="{fire_finding.pk}"]').get_by_role("link", name=f"#{fire_finding.pk}").click()
    history = page.get_by_test_id("rectification-history")
    expect(history).to_contain_text("更换安全出口指示标志3处")
    with page.expect_popup() as popup:
        history.get_by_role("link", name="整改后通道照片.png").click()
    image = popup.value
    # A new tab may still be loading the file when the popup event fires: wait for it before measuring.
    image.wait_for_load_state("load")
    assert image.locator("img").evaluate(IMAGE_WIDTH_WHEN_LOADED) == 4
    image.close()
    form = page.get_by_test_id("verify-form")
    form.get_by_label("验收通过，销号").check()
    form.get_by_label("验收意见").fill("现场复查：通道畅通，指示标志完好。")
    screenshot(page, "rectification-3-fire-verifies")
    form.get_by_role("button", name="提交验收结论").click()
    expect(page.get_by_role("status").first).to_contain_text("销号")
    expect(page.get_by_test_id("finding-state")).to_have_text("已整改销号")
    expect(page.get_by_test_id("verify-form")).to_have_count(0)
    screenshot(page, "rectification-4-closed")

    # 3. The institution sees it closed, with the verifying department's note.
    login(page, "inst_1")
    page.goto(f"/findings/{fire_finding.pk}/")
    expect(page.get_by_test_id("finding-state")).to_have_text("已整改销号")
    expect(page.get_by_test_id("rectification-history")).to_contain_text("通道畅通")
    screenshot(page, "rectification-5-institution-sees-closed")


def test_the_three_lists_referrals_and_the_public_supervised_cases(page, screenshot):
    """What the demo city shows after findings are recorded: the lists with their export, the overdue referral at
    both ends, and the public list of supervised major hazards."""
    login(page, "fire_heping")
    open_from_menu(page, "清单与公开", "三个清单")
    page.get_by_role("link", name="责任清单").click()
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text("和平区人民政府")  # the supervised hazard's supervising government
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.startswith("responsibility-")
    screenshot(page, "rectification-6-responsibility-list")

    login(page, "health_heping")
    open_from_menu(page, "检查与整改", "移送抄告")
    expect(page.get_by_test_id("referrals-overdue")).to_contain_text("和平区卫生健康委员会逾期未反馈")
    screenshot(page, "rectification-7-referrals-health")
    login(page, "civil_heping")
    open_from_menu(page, "检查与整改", "移送抄告")
    expect(page.get_by_test_id("referrals-overdue")).to_contain_text("逾期")
    screenshot(page, "rectification-8-referrals-civil")

    page.context.clear_cookies()
    page.goto("/public/supervised-cases/")
    cases = page.get_by_test_id("public-cases")
    expect(cases).to_contain_text("天津市和平区福寿老年公寓")
    expect(cases).not_to_contain_text("消防控制室无人值班")  # the hazard's category, not the inspection notes
    screenshot(page, "rectification-9-public-supervised-cases")
