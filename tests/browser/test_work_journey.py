"""civil_heping starts the day: the work queue on the staff home with the navigation's counts, one click to an
item's page, then the inbox — in headless Chromium, at desktop and phone widths."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def assert_fits(page, width: int):
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def civil_heping_work(demo_city):
    """Work for civil_heping that the demo city may not hold today: a rectification waiting for its verification,
    overdue, and a notification of it in the inbox."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django.utils import timezone

    from agencies.models import Department
    from inspections.choices import FindingState
    from inspections.models import Finding
    from portal.models import Notification, NotificationKind

    civil = Department.objects.get(kind__code="civil_affairs", region__code="120101")
    finding = Finding.objects.filter(found_by=civil).order_by("id").first()
    Finding.objects.filter(pk=finding.pk).update(state=FindingState.SUBMITTED, verifying_department=civil,
                                                 rectification_due=timezone.localdate() - dt.timedelta(days=7))
    user = get_user_model().objects.get(username="civil_heping")
    Notification.objects.create(recipient=user, kind=NotificationKind.OVERDUE, source="verify",
                                title="已逾期：整改验收（浏览器测试）",
                                link=reverse("finding-detail", args=[finding.pk]), key=f"browser:verify:{finding.pk}")
    # The demo city's own events (complaints, rectifications) have told civil_heping of some work already.
    finding.unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return finding


def test_civil_heping_sees_the_queue_opens_an_item_and_the_inbox(page, screenshot, civil_heping_work):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("civil_heping")
    page.get_by_label("密码").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    home_work = page.get_by_test_id("home-work")
    expect(home_work).to_be_visible()
    total = page.get_by_test_id("home-work-total").inner_text().strip()
    assert int(total.rstrip("+")) >= 1
    expect(page.get_by_test_id("home-work-overdue")).to_contain_text("逾期")
    # The navigation's badge (loaded by htmx) shows the same count; the inbox its unread notification.
    expect(page.get_by_test_id("work-badge")).to_contain_text(total)
    expect(page.get_by_test_id("inbox-unread")).to_have_text(f"{civil_heping_work.unread}条未读")
    expect(home_work.get_by_test_id("overdue").first).to_contain_text("个工作日")
    screenshot(page, "work-01-staff-home-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_test_id("work-badge")).to_be_visible()
    assert_fits(page, PHONE["width"])
    screenshot(page, "work-02-staff-home-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # One click from the queue to the record's page.
    row = home_work.locator('[data-testid="work-item"][data-source="verify"]').filter(
        has=page.locator(f'a[href="/findings/{civil_heping_work.pk}/"]'))
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/findings/{civil_heping_work.pk}/$"))

    # The full queue, filtered to one kind.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的待办")
    page.get_by_test_id("work-source-verify").click()
    expect(page.locator('[data-testid="work-item"][data-source="verify"]').first).to_be_visible()
    assert page.locator('[data-testid="work-item"]:not([data-source="verify"])').count() == 0

    # The inbox: open the notification, which marks it read and goes to its record.
    page.get_by_test_id("inbox-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知")
    notification = page.get_by_test_id("notification").filter(has_text="浏览器测试")
    notification.get_by_role("button", name="查看并办理").click()
    expect(page).to_have_url(re.compile(rf"/findings/{civil_heping_work.pk}/$"))
    unread_after = civil_heping_work.unread - 1
    if unread_after:
        expect(page.get_by_test_id("inbox-unread")).to_have_text(f"{unread_after}条未读")
    else:
        expect(page.get_by_test_id("inbox-unread")).to_have_count(0)
    page.get_by_test_id("inbox-link").click()
    page.get_by_label("每日汇总邮件").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("邮件提醒方式已保存。")).to_be_visible()
    screenshot(page, "work-03-inbox-desktop")
