"""An English-speaking visitor on a phone reaches every public list from the main navigation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CJK = re.compile(r"[\u3400-\u9fff]")


def test_visitor_walks_the_public_navigation_in_english_on_a_phone(browser, live_server, demo_city, screenshot):
    context = browser.new_context(viewport=PHONE, locale="en-GB", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        nav = page.get_by_role("navigation", name="Main navigation")
        labels = nav.get_by_role("link").all_inner_texts()
        assert [label.strip() for label in labels] == [
            "Home", "Institution search", "Unfiled institutions", "Inspection draws", "Inspections",
            "Supervised cases", "Credit lists", "Complaints", "Supervision catalog", "Open data", "Log in"]
        # The nav wraps onto a few rows instead of pushing the page sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "public-nav-01-home-en-phone")

        for label, heading in [("Inspection draws", "Random inspection draws"),
                               ("Supervised cases", "Supervised major hazard cases"),
                               ("Credit lists", "Credit lists")]:
            nav.get_by_role("link", name=label, exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            expect(nav.locator('[aria-current="page"]')).to_have_text(label)
            assert not CJK.search(nav.inner_text())
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "public-nav-02-credit-lists-en-phone")

        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/")
        screenshot(page, "public-nav-03-home-en-desktop")
    finally:
        context.close()
