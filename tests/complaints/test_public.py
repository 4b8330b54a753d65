"""The public side: the form (CAPTCHA, attachments, rate limit, duplicates), tracking with code + secret."""

import io
import re

import pytest
from django.core import signing
from django.urls import reverse
from PIL import Image

from complaints.antiabuse import CAPTCHA_SALT
from complaints.choices import ComplaintState
from complaints.models import Complaint, ComplaintAttachment
from complaints.services import complaint_answer, complaint_route

from .conftest import png_bytes, upload

pytestmark = pytest.mark.django_db
FORM = "complaint-public-form"


def captcha_from(html: str) -> dict:
    """Solve the page's arithmetic question the way a person would: read it and compute."""
    token = re.search(r'name="captcha_token" value="([^"]+)"', html).group(1)
    a, op, b = re.search(r"(\d+) (加|减) (\d+) 等于几", html).groups()
    return {"captcha_token": token, "captcha_answer": str(int(a) + int(b) if op == "加" else int(a) - int(b))}


def form_data(client, heping_home, **overrides):
    html = client.get(reverse(FORM)).content.decode()
    data = {"category": "abuse", "institution": str(heping_home.pk),
            "description": "护理员推搡并辱骂我母亲，已发生两次。",
            "complainant_name": "李某", "complainant_phone": "13900001111", "consent": "on", "step": "submit",
            **captcha_from(html)}
    data.update(overrides)
    return data


def test_submit_shows_code_and_secret_once(client, heping_home):
    response = client.post(reverse(FORM), form_data(client, heping_home))
    assert response.status_code == 200
    html = response.content.decode()
    code = re.search(r'data-testid="tracking-code">([A-Z0-9]+)<', html).group(1)
    secret = re.search(r'data-testid="tracking-secret">([A-Z0-9]+)<', html).group(1)
    complaint = Complaint.objects.get(code=code)
    assert secret not in complaint.secret_hash and len(complaint.secret_hash) == 64
    # Phone stored encrypted: the raw column does not contain it.
    assert "13900001111" not in complaint.complainant_phone_encrypted
    # Tracking needs both.
    track = reverse("complaint-public-track")
    assert "tracking-result" in client.post(track, {"code": code, "secret": secret}).content.decode()
    wrong = client.post(track, {"code": code, "secret": "WRONGWRONG"}).content.decode()
    assert "tracking-result" not in wrong and "查询码或查询密码不正确" in wrong


def test_wrong_captcha_keeps_the_form(client, heping_home):
    data = form_data(client, heping_home, captcha_answer="999")
    response = client.post(reverse(FORM), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "验证答案不正确" in html and "护理员推搡并辱骂我母亲" in html
    assert not Complaint.objects.filter(description__startswith="护理员推搡并辱骂我母亲").exists()
    # A forged token is no better.
    forged = signing.dumps({"a": 1, "n": "x"}, salt="other")
    response = client.post(reverse(FORM), {**data, "captcha_token": forged, "captcha_answer": "1"})
    assert response.status_code == 400
    assert not Complaint.objects.filter(description__startswith="护理员推搡并辱骂我母亲").exists()
    # A token answers once.
    token = signing.dumps({"a": 7, "n": "once"}, salt=CAPTCHA_SALT)
    assert client.post(reverse(FORM), {**data, "captcha_token": token, "captcha_answer": "7"}).status_code == 200
    again = client.post(reverse(FORM), {**data, "captcha_token": token, "captcha_answer": "7",
                                         "description": "另一件事：伙食很差，饭菜经常是凉的。"})
    assert again.status_code == 400 and not Complaint.objects.filter(description__startswith="另一件事").exists()


@pytest.mark.parametrize("name, content, message", [
    ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "不是图片（JPEG、PNG）或 PDF 文件"),
    ("big.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (30 * 1024 * 1024), "超过 10 MB"),
])
def test_bad_attachment_is_refused_and_the_rest_of_the_form_kept(client, heping_home, name, content, message):
    data = form_data(client, heping_home, description="夜间无人值守，老人摔倒后无人发现。")
    good = upload("ok.png", png_bytes(), "image/png")
    response = client.post(reverse(FORM), {**data, "files": [good, upload(name, content)]})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and name in html
    # Everything typed is still there; nothing was stored.
    assert "夜间无人值守，老人摔倒后无人发现。" in html and 'value="李某"' in html and 'value="13900001111"' in html
    assert f'value="{heping_home.pk}" checked' in html
    assert not Complaint.objects.filter(description__startswith="夜间无人值守").exists()
    assert not ComplaintAttachment.objects.exists()


def test_more_than_five_files_refused(client, heping_home):
    data = form_data(client, heping_home)
    files = [upload(f"p{i}.png", png_bytes(), "image/png") for i in range(6)]
    response = client.post(reverse(FORM), {**data, "files": files})
    assert response.status_code == 400 and "最多上传 5 个附件" in response.content.decode()


def test_photo_exif_is_stripped_and_stored_under_a_server_name(client, heping_home):
    jpeg = png_bytes(exif=True)
    assert b"SecretCamera" in jpeg
    data = form_data(client, heping_home)
    response = client.post(reverse(FORM), {**data, "files": [upload("我的照片 GPS.jpg", jpeg)]})
    assert response.status_code == 200
    attachment = ComplaintAttachment.objects.get()
    stored = attachment.file.read()
    assert b"SecretCamera" not in stored and Image.open(io.BytesIO(stored)).getexif().get(0x010F) is None
    assert attachment.original_name == "我的照片 GPS.jpg"
    assert "GPS" not in attachment.file.name and attachment.file.name.endswith(".jpg")


def test_quick_submissions_from_one_client_are_throttled_another_gets_through(client, heping_home):
    baseline = Complaint.objects.count()
    created = refused = 0
    for i in range(100):
        data = form_data(client, heping_home, description=f"第{i}次：反复投诉同一件事的测试内容。")
        response = client.post(reverse(FORM), data, REMOTE_ADDR="203.0.113.7")
        if response.status_code == 200:
            created += 1
        elif "提交过于频繁" in response.content.decode():
            refused += 1
    assert created == 5 and refused == 95
    assert Complaint.objects.count() == baseline + 5
    other = form_data(client, heping_home, description="另一位市民：院内消防通道被杂物堵塞。")
    assert client.post(reverse(FORM), other, REMOTE_ADDR="198.51.100.20").status_code == 200
    assert Complaint.objects.count() == baseline + 6


def test_duplicate_guard_answers_the_same_complaint(client, heping_home):
    baseline = Complaint.objects.count()
    data = form_data(client, heping_home)
    assert client.post(reverse(FORM), data).status_code == 200
    again = form_data(client, heping_home)  # a fresh CAPTCHA, the same text about the same institution
    html = client.post(reverse(FORM), again).content.decode()
    assert 'data-testid="duplicate-notice"' in html and "tracking-secret" not in html
    assert Complaint.objects.count() == baseline + 1


def test_search_inside_the_form_keeps_what_was_typed(client, heping_home):
    data = form_data(client, heping_home, step="search", q="康乐", institution="",
                     description="先写了内容，再查找机构。")
    response = client.post(reverse(FORM), data)
    html = response.content.decode()
    assert response.status_code == 200 and "先写了内容，再查找机构。" in html
    assert 'data-testid="institution-candidates"' in html and "康乐养老院" in html
    assert not Complaint.objects.filter(description__startswith="先写了内容").exists()


def test_unknown_operator_needs_name_and_address(client, heping_home):
    data = form_data(client, heping_home, institution="", operator_name="", region="")
    html = client.post(reverse(FORM), data).content.decode()
    assert "请选择被投诉机构，或填写经营者名称" in html and "请填写经营场所地址" in html


def test_unknown_district_sits_with_the_city_bureau(client, heping_home, users):
    data = form_data(client, heping_home, institution="", operator_name="某托老点", region="",
                     operator_address="不清楚在哪个区，只知道在地铁站附近",
                     description="听说有人私下收住老人，条件很差。")
    assert client.post(reverse(FORM), data).status_code == 200
    complaint = Complaint.objects.get(operator_name="某托老点")
    assert complaint.region_code == "12" and complaint.intake_department.region.code == "120000"
    assert Complaint.objects.restrict(users["civil_city"]).filter(pk=complaint.pk).exists()
    assert not Complaint.objects.restrict(users["civil_heping"]).filter(pk=complaint.pk).exists()
    # The city bureau finds it is in 和平区 and routes it there: the complaint moves to the district.
    from agencies.models import Department

    market = Department.objects.get(kind__code="market_regulation", region__code="120101")
    complaint_route(users["civil_city"], complaint, market)
    complaint.refresh_from_db()
    assert complaint.region_code == "120101" and complaint.intake_department.region.code == "120101"
    assert Complaint.objects.restrict(users["civil_heping"]).filter(pk=complaint.pk).exists()
    assert Complaint.objects.restrict(users["market_heping"]).filter(pk=complaint.pk).exists()


def test_tracking_page_shows_status_department_reply_and_no_staff_names(client, submit, users):
    from agencies.models import Department

    complaint, secret = submit(category="food")
    market = Department.objects.get(kind__code="market_regulation", region__code="120101")
    complaint_route(users["civil_heping"], complaint, market)
    complaint_answer(users["market_heping"], complaint, "substantiated", "责令整改并立案调查。",
                     "经核查，食堂存在过期食材，已责令整改。")
    html = client.post(reverse("complaint-public-track"), {"code": complaint.code, "secret": secret}).content.decode()
    assert market.name in html and "经核查，食堂存在过期食材" in html and "已答复" in html
    for staff in (users["market_heping"], users["civil_heping"]):
        assert staff.username not in html
        if staff.first_name:
            assert staff.first_name not in html
    # Add information reopens; rating closes.
    track = reverse("complaint-public-track")
    client.post(track, {"code": complaint.code, "secret": secret, "step": "info", "text": "整改后仍有问题。"})
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.HANDLING
    complaint_answer(users["market_heping"], complaint, "substantiated", "复查。", "复查后已全部整改。")
    client.post(track, {"code": complaint.code, "secret": secret, "step": "rate", "rating": "4"})
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED and complaint.rating == 4


def test_form_page_and_submission_keep_their_query_counts(client, heping_home, django_assert_num_queries,
                                                          django_assert_max_num_queries):
    """The empty form's fields are a rendered fragment after the first visit (the districts are read once), and a
    submission is its complaint, audit row and outbox row with the look-ups they need — nothing per field or row."""
    client.get(reverse(FORM))
    with django_assert_num_queries(0):
        html = client.get(reverse(FORM)).content.decode()
    assert "和平区" in html and 'name="region"' in html  # the district list is still there, from the fragment
    data = form_data(client, heping_home)
    # Institution, its lock, the duplicate guard, both domains (one query), the working calendar (two: the cache
    # starts cold in a test), the intake bureau, the complaint, the audit chain (head lock, row, head), the
    # notification row, the shared outbox's message for it (insert, inside one savepoint pair: the key's
    # uniqueness guard) and the row's link to it, and the test transaction's savepoint pair: 18.
    with django_assert_max_num_queries(18) as captured:
        response = client.post(reverse(FORM), data)
    assert response.status_code == 200 and "tracking-code" in response.content.decode(), len(captured)


# ------------------------------------------------------------------------------------------------ the empty form


def test_the_empty_form_is_the_template_rendered_for_this_request_byte_for_byte(client, monkeypatch, rf):
    """The page kept with markers and filled in equals the template rendered with this request's CSRF token and
    CAPTCHA — the second answer (from the kept page) too, with its own token and question."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string
    from django.urls import resolve

    from complaints import antiabuse
    from complaints.forms import ComplaintForm

    for question, token in [("7 加 5 等于几？", "tok:en-1"), ("9 减 4 等于几？", "tok:en-2")]:
        monkeypatch.setattr(antiabuse, "new_captcha", lambda question=question, token=token: (question, token))
        response = client.get(reverse(FORM))
        html = response.content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        request = rf.get(reverse(FORM))
        request.user, request.session = AnonymousUser(), client.session
        request._messages = FallbackStorage(request)
        request.resolver_match = resolve(reverse(FORM))
        form = ComplaintForm()
        form.initial["captcha_token"] = token
        expected = render_to_string("complaints/public_form.html", {
            "form": form, "q": "", "candidates": [], "chosen_id": None, "captcha_question": question,
            "csrf_token": csrf}, request)
        assert html == expected
        assert html.count(csrf) == 2 and "marker" not in html  # the language form's and the complaint form's
        assert response.cookies["csrftoken"].value  # the token's secret is set as for any rendered page


def test_each_visitor_gets_a_question_of_their_own_and_each_language_its_page(client, heping_home):
    from django.test import Client

    first, second = (client.get(reverse(FORM)).content.decode() for _ in range(2))
    assert captcha_from(first)["captcha_token"] != captcha_from(second)["captcha_token"]
    # The CSRF token filled in is one this visitor's browser can submit with (the CSRF check enforced).
    browser = Client(enforce_csrf_checks=True)
    for _ in range(2):  # the page rendered, then the page kept
        html = browser.get(reverse(FORM)).content.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = {"category": "abuse", "institution": str(heping_home.pk), "csrfmiddlewaretoken": csrf,
                "description": f"夜间无人值守，老人摔倒无人发现（{_}）。", "step": "submit", **captcha_from(html)}
        assert "tracking-code" in browser.post(reverse(FORM), data).content.decode()
    english = client.get(reverse(FORM), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in english and "What is" in english and "等于几" not in english


def test_a_signed_in_user_or_a_search_gets_the_page_rendered_for_them(client, heping_home, users):
    searched = client.get(reverse(FORM), {"q": heping_home.name[:4]}).content.decode()
    assert heping_home.name in searched
    client.force_login(users["civil_heping"])
    html = client.get(reverse(FORM)).content.decode()
    assert 'data-testid="who"' in html


def test_the_answer_to_a_submission_is_the_template_rendered_for_it_byte_for_byte(client, heping_home, rf):
    """Kept like the empty form: the first answer rendered with markers, the second from the kept page; each equals
    the template rendered with its own complaint's code, secret, deadline and bureau, and its secret tracks it."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string
    from django.urls import resolve

    for n in range(2):
        data = form_data(client, heping_home, description=f"第{n}次：夜班护理员长时间离岗，呼叫无人应答。")
        html = client.post(reverse(FORM), data).content.decode()
        code = re.search(r'data-testid="tracking-code">([A-Z0-9]+)<', html).group(1)
        secret = re.search(r'data-testid="tracking-secret">([A-Z0-9]+)<', html).group(1)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        complaint = Complaint.objects.select_related("intake_department").get(code=code)
        request = rf.post(reverse(FORM))
        request.user, request.session, request.resolver_match = AnonymousUser(), client.session, resolve(reverse(FORM))
        request._messages = FallbackStorage(request)
        expected = render_to_string("complaints/public_submitted.html", {
            "complaint": complaint, "created": True, "code": code, "secret": secret, "csrf_token": csrf,
            "intake": complaint.intake_department.name, "answer_due": complaint.answer_due.isoformat()}, request)
        assert html == expected and "marker" not in html
        assert complaint.intake_department.name in html and complaint.answer_due.isoformat() in html
        track = client.post(reverse("complaint-public-track"), {"code": code, "secret": secret})
        assert "tracking-result" in track.content.decode()
