"""English is available for every shell string, and the committed .mo is the compiled .po."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")


def po_entries():
    """(context, msgid, msgstr or (singular, plural)) for every entry of the .po — a small reader for our file."""
    def joined(block, keyword):
        m = re.search(rf'^{re.escape(keyword)} ((?:".*"\n)+)', block, re.M)
        if m is None:
            return None
        raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        # PO strings are C-escaped (\n, \t, \", \\): decode them as msgfmt does.
        return re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), raw)

    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        block += "\n"
        context, msgid = joined(block, "msgctxt"), joined(block, "msgid")
        if "msgid_plural" in block:
            yield context, msgid, (joined(block, "msgstr[0]"), joined(block, "msgstr[1]"))
        else:
            yield context, msgid, joined(block, "msgstr")


def english_chrome(html: str) -> list[str]:
    """Chinese text left on an English page, except the language switcher's own 简体中文."""
    return [s for s in CJK.findall(html) if s != "简体中文"]


def test_every_entry_is_translated_and_not_fuzzy():
    entries = list(po_entries())
    assert len(entries) > 100
    assert [msgid for _context, msgid, msgstr in entries if not msgstr or msgstr == ("", "")] == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_committed_mo_matches_the_po():
    with open(PO.with_suffix(".mo"), "rb") as f:
        catalog = gettext.GNUTranslations(f)
    for context, msgid, msgstr in po_entries():
        if isinstance(msgstr, tuple):
            assert catalog.ngettext(msgid, msgid, 1) == msgstr[0], msgid
            assert catalog.ngettext(msgid, msgid, 2) == msgstr[1], msgid
        elif context:
            assert catalog.pgettext(context, msgid) == msgstr, msgid
        else:
            assert catalog.gettext(msgid) == msgstr, msgid


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["public-home", "login"])
def test_public_pages_have_no_chinese_left_in_english(client, url_name):
    html = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The home's latest results and list entries are data (institution names, grounds), not chrome.
    html = re.sub(r'<ul[^>]*data-testid="latest-(results|entries)".*?</ul>', "", html, flags=re.S)
    assert english_chrome(html) == []


@pytest.mark.django_db
def test_catalog_chrome_is_english(client):
    """The catalog's rows are the Chinese statutory text; everything around them is translated."""
    html = client.get(reverse("public-duty-catalog"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chrome = re.sub(r"<tbody>.*?</tbody>", "", html, flags=re.S)
    chrome = re.sub(r'<select name="(department_kind|domain)".*?</select>', "", chrome, flags=re.S)  # data names
    assert english_chrome(chrome) == []
    assert "92 duties" in html


@pytest.mark.django_db
def test_staff_home_chrome_is_english(client, users):
    client.force_login(users["civil_heping"])
    html = client.get(reverse("staff-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Workbench" in html and "My department's duties" in html and "Staff" in html


@pytest.mark.django_db
def test_labels_formatted_at_import_still_follow_the_request_language(client, users):
    """Module-level labels are lazy: the complaint form's attachment label and the staff list's tabs."""
    html = client.get(reverse("complaint-public-form"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Images or PDF attachments (at most 5, each up to 10 MB)" in html
    client.force_login(users["civil_heping"])
    html = client.get(reverse("complaint-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    tabs = re.sub(r"\s+", " ", html.split('class="nav nav-tabs', 1)[1].split("</ul>", 1)[0])
    assert english_chrome(tabs) == []
    assert "Awaiting acceptance" in tabs and "Handle in my department" in tabs
