"""The web shell: public home, login/logout, staff home, role-aware navigation."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from inspections.models import Finding
from institutions.models import Institution

pytestmark = pytest.mark.django_db


def nav(html: str) -> list[str]:
    """The labels of the main navigation, in order: links, menu buttons and the menus' entries."""
    block = html.split('class="portal-nav"', 1)[1].split("</nav>", 1)[0]
    return [label.strip() for label in
            re.findall(r'class="(?:nav-link|dropdown-item)[^"]*"[^>]*>([^<]+)</(?:a|button)>', block)]


def login(client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_public_home_for_anonymous(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "养老服务综合监管平台" in html
    assert reverse("public-duty-catalog") in html
    assert reverse("login") in html
    assert nav(html) == ["首页", "养老机构查询", "未备案机构名单", "双随机抽查", "监督检查", "挂牌督办", "信用名单",
                         "投诉举报", "监管清单", "开放数据", "登录"]


def test_staff_home_needs_login(client):
    response = client.get(reverse("staff-home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('staff-home')}"


def test_login_page_is_chinese_and_lists_nothing_sensitive(client):
    html = client.get(reverse("login")).content.decode()
    assert "用户名" in html and "密码" in html
    for secret in (settings.DEMO_PASSWORD, "civil_heping", "fire_heping", "inst_1", "admin"):
        assert secret not in html


def test_login_form_lands_on_staff_home(client):
    response = client.post(reverse("login"), {"username": "civil_heping", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff-home")


def test_wrong_password_says_so_in_chinese(client):
    response = client.post(reverse("login"), {"username": "civil_heping", "password": "wrong-password-123"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own zh-hans message
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client):
    login(client, "civil_heping")
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("public-home")
    assert "_auth_user_id" not in client.session


def test_header_logout_form_posts(client):
    html = login(client, "civil_heping").get(reverse("staff-home")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}"' in html


def test_staff_home_greets_with_department_role_and_scope_counts(client, users):
    html = login(client, "civil_heping").get(reverse("staff-home")).content.decode()
    assert "和平区民政局" in html
    assert "工作人员" in html
    visible = Finding.objects.restrict(users["civil_heping"], "view").count()
    assert 0 < visible < Finding.objects.count()
    assert f'data-testid="findings-total">{visible}<' in html
    assert f"{reverse('duty-catalog')}?department_kind=civil_affairs" in html
    assert "本部门职责" in html
    assert nav(html) == ["工作台", "待办", "备案与机构", "备案审核", "现场核查", "未备案线索", "突发事件",
                         "检查与整改", "抽查计划", "监督检查", "问题隐患", "整改验收", "移送抄告", "挂牌督办",
                         "投诉举报", "信用名单", "监管效能", "清单与公开", "三个清单", "监管职责清单"]


def test_staff_home_count_includes_hand_offs(client, users):
    """fire_heping also sees the special-equipment finding a joint team handed to it: a hand-written
    "domain in my duties" filter would miss it, restrict() does not."""
    fire = users["fire_heping"]
    visible = Finding.objects.restrict(fire, "view")
    assert visible.filter(domain__code="special_equipment").exists()
    html = login(client, "fire_heping").get(reverse("staff-home")).content.decode()
    assert f'data-testid="findings-total">{visible.count()}<' in html
    assert "和平区消防救援" in html


def test_leader_role_is_shown(client):
    html = login(client, "leader_heping").get(reverse("staff-home")).content.decode()
    assert "领导（只读）" in html


def test_superuser_sees_admin_link_and_all_findings(client):
    html = login(client, "admin").get(reverse("staff-home")).content.decode()
    assert nav(html) == ["工作台", "待办", "备案与机构", "备案审核", "现场核查", "未备案线索", "突发事件",
                         "检查与整改", "抽查计划", "监督检查", "问题隐患", "整改验收", "移送抄告", "挂牌督办",
                         "投诉举报", "信用名单", "监管效能", "清单与公开", "三个清单", "监管职责清单",
                         "系统", "审计记录", "管理后台"]
    assert f'data-testid="findings-total">{Finding.objects.count()}<' in html.replace(",", "")
    assert "系统管理员" in html


def test_institution_account_sees_its_own_institution(client, users):
    own = Institution.objects.restrict(users["inst_1"], "view").get()
    html = login(client, "inst_1").get(reverse("staff-home")).content.decode()
    assert own.name in html
    own_findings = Finding.objects.filter(institution=own).count()
    assert own_findings > 0
    assert f'data-testid="findings-total">{own_findings}<' in html
    assert nav(html) == ["本机构", "待办", "监督检查", "问题整改", "本机构备案", "信息公开", "报告", "突发事件报告",
                         "应急演练", "本机构信用"]
    other = Institution.objects.exclude(pk=own.pk).first()
    assert other.name not in html



@pytest.mark.parametrize(("url_name", "label"), [("public-draw-list", "双随机抽查"),
                                                 ("public-supervised-cases", "挂牌督办"),
                                                 ("public-credit-lists", "信用名单")])
def test_public_nav_highlights_the_public_lists(client, url_name, label):
    html = client.get(reverse(url_name)).content.decode()
    current = re.findall(r'class="nav-link active" href="([^"]+)" aria-current="page">([^<]+)</a>', html)
    assert current == [(reverse(url_name), label)]


def test_language_switcher_posts_to_set_language(client):
    html = client.get("/").content.decode()
    assert f'action="{reverse("set_language")}" method="post"' in html
    assert 'name="language" value="en"' in html


def test_english_by_accept_language(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Elderly-Care Supervision Portal" in html
    assert nav(html) == ["Home", "Institution search", "Unfiled institutions", "Inspection draws", "Inspections",
                         "Supervised cases", "Credit lists", "Complaints", "Supervision catalog", "Open data",
                         "Log in"]
    assert "民政部门牵头" not in html


def test_english_by_set_language_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Elderly-Care Supervision Portal" in html


def test_chinese_by_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "Elderly-Care Supervision Portal" not in html
