"""The complaint journey in headless Chromium: a member of the public complains, on a phone, about a 和平区
institution (欺老虐老) → 和平区民政局 routes it → 和平区市场监督管理局 signs for it and answers → the complainant
reads the answer with code + secret. Screenshots: the form on a phone and a desktop, each step after."""

import re

import pytest
from playwright.sync_api import expect

from .test_filing_journey import PHONE, login

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}


def solve_captcha(page):
    label = page.locator("label[for='id_captcha_answer']").inner_text()
    a, op, b = re.search(r"(\d+) (加|减) (\d+)", label).groups()
    page.get_by_label(re.compile("验证")).fill(str(int(a) + int(b) if op == "加" else int(a) - int(b)))


def test_public_complaint_routed_answered_and_read(page, browser, live_server, screenshot):
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, is_mobile=True,
                                has_touch=True)
    public = phone.new_page()
    public.set_default_timeout(15_000)

    # 1. On a phone: find the institution in the directory search inside the form, describe what happened.
    public.goto("/complaints/")
    expect(public.get_by_role("heading", level=1)).to_have_text("养老服务投诉举报")
    public.get_by_label("投诉类别").select_option(label="欺老虐老")
    public.get_by_label("发生了什么").fill("护工多次推搡、辱骂我父亲，还强迫他购买保健品，家属探视时亲眼看到。")
    public.get_by_placeholder("输入机构名称查找").fill("和平区康乐")
    public.get_by_role("button", name="查找").click()
    candidates = public.get_by_test_id("institution-candidates")
    expect(candidates).to_contain_text("天津市和平区康乐养老院")
    # What was typed before the search is still there.
    expect(public.get_by_label("发生了什么")).to_have_value(re.compile("护工多次推搡"))
    candidates.get_by_text("天津市和平区康乐养老院").click()
    public.get_by_label("您的姓名（可匿名）").fill("刘女士")
    public.get_by_label("联系电话（可不填）").fill("13911112222")
    public.get_by_label(re.compile("我同意民政部门")).check()
    solve_captcha(public)
    screenshot(public, "complaint-01-public-form-phone")
    public.get_by_role("button", name="提交投诉").click()
    code = public.get_by_test_id("tracking-code").inner_text().strip()
    secret = public.get_by_test_id("tracking-secret").inner_text().strip()
    assert re.fullmatch(r"T[A-Z0-9]{9}", code) and len(secret) == 10
    expect(public.get_by_text("和平区民政局受理登记")).to_be_visible()
    screenshot(public, "complaint-02-submitted-phone")

    # The same form on a desktop (for the screenshot: layout at both widths).
    page.goto("/complaints/")
    screenshot(page, "complaint-03-public-form-desktop")

    # 2. 和平区民政局 finds it in its intake queue and routes it to 和平区市场监督管理局.
    login(page, "civil_heping")
    page.goto("/staff/complaints/?view=intake")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_test_id("complainant")).to_contain_text("刘女士")
    route = page.get_by_test_id("route-form")
    expect(route).to_contain_text("和平区市场监督管理局")  # among the catalog's suggestions
    route.get_by_label("主办部门").select_option(label="和平区市场监督管理局")
    route.get_by_label("转办说明").fill("涉及强迫购买保健品，请市场监管局主办核查。")
    screenshot(page, "complaint-04-intake-routing")
    route.get_by_role("button", name="转办").click()
    expect(page.get_by_test_id("routings")).to_contain_text("和平区市场监督管理局（主办）")

    # A department it was not routed to does not even see it listed.
    login(page, "fire_heping")
    page.goto("/staff/complaints/?view=all")
    expect(page.get_by_role("link", name=code)).to_have_count(0)

    # 3. 和平区市场监督管理局 signs for it, verifies and answers.
    login(page, "market_heping")
    page.goto("/staff/complaints/?view=mine")
    page.get_by_role("link", name=code).click()
    detail = page.url
    page.get_by_test_id("acknowledge").click()
    answer = page.get_by_test_id("answer-form")
    answer.get_by_label("核实结论").select_option(label="属实")
    answer.get_by_label("处理措施").fill("责令机构停止推销保健品、辞退涉事护工，立案调查。")
    answer.get_by_label("给投诉人的答复").fill(
        "经现场核查，您反映的情况属实。我局已责令该机构立即整改，涉事护工已被辞退，并对违规推销立案调查。")
    screenshot(page, "complaint-05-department-answer")
    answer.get_by_role("button", name="答复").click()
    expect(page.get_by_text("已答复，投诉人可凭查询码查看。")).to_be_visible()

    login(page, "fire_heping")
    assert page.goto(detail).status == 404

    # 4. The complainant reads the answer with code + secret, on the phone.
    public.goto("/complaints/track/")
    public.get_by_label("查询码").fill(code)
    public.get_by_label("查询密码").fill(secret)
    public.get_by_role("button", name="查询").click()
    expect(public.get_by_test_id("tracking-state")).to_have_text("已答复")
    expect(public.get_by_test_id("tracking-department")).to_have_text("和平区市场监督管理局")
    expect(public.get_by_test_id("tracking-reply")).to_contain_text("涉事护工已被辞退")
    expect(public.get_by_text("market_heping")).to_have_count(0)
    screenshot(public, "complaint-06-tracking-answer-phone")
    phone.close()
