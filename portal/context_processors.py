from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

ROLE_LABELS = {"admin": _("系统管理员"), "institution": _("机构账号"), "unassigned": _("未分配部门")}


@dataclass
class Identity:
    """Who the signed-in user is to the portal: decides the header line and the navigation."""

    kind: str  # "anonymous", "staff" (of a department), "admin" (superuser without a department),
    # "institution" (an institution's own account) or "unassigned" (signed in, nothing granted yet)
    profile: object = None
    institution: object = None

    @property
    def is_staff_side(self) -> bool:
        return self.kind in ("staff", "admin")

    @property
    def organisation(self) -> str:
        if self.profile is not None:
            return self.profile.department.name
        if self.institution is not None:
            return self.institution.name
        return ""

    @property
    def role_label(self):
        if self.profile is not None:
            return self.profile.get_role_display()
        return ROLE_LABELS.get(self.kind, "")


def identity(request) -> Identity:
    """Computed once per request; the staff home and the header share it."""
    cached = getattr(request, "_portal_identity", None)
    if cached is not None:
        return cached
    from agencies.models import StaffProfile
    from institutions.models import Institution

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        result = Identity("anonymous")
    else:
        profile = StaffProfile.objects.select_related("department__kind").filter(user_id=user.pk).first()
        if profile is not None:
            result = Identity("staff", profile=profile)
        elif user.is_superuser:
            result = Identity("admin")
        else:
            # An institution account is one whose only way in is its institution's own grant; reading it
            # through restrict() keeps the one permission entry point.
            institution = Institution.objects.restrict(user, "view").first()
            result = Identity("institution", institution=institution) if institution else Identity("unassigned")
    request._portal_identity = result
    return result


@dataclass
class NavItem:
    label: str
    url: str
    active: bool
    children: list = field(default_factory=list)  # a menu (下拉菜单) when not empty
    badge: bool = False  # carries the pending-work count (loaded by htmx from work-badge)
    key: str = ""


def _group(label, *entries, key=""):
    return (label, list(entries), key)


# (label, url name, the url names under which the item is highlighted), or a menu: (label, [entries], key).
# The staff side's ~15 pages in a few menus, by what the work is about; 待办 first, with its count.
WORK_ENTRY = (_("待办"), "work-queue", {"work-queue"})
STAFF_NAV = [
    (_("工作台"), "staff-home", {"staff-home"}),
    WORK_ENTRY,
    _group(_("备案与机构"),
           (_("备案审核"), "filing-queue", {"filing-queue", "filing-detail"}),
           (_("现场核查"), "filing-onsite-list", {"filing-onsite-list", "filing-onsite-record"}),
           (_("未备案线索"), "records-lead-list", {"records-lead-list", "records-lead-detail", "records-lead-create"}),
           (_("突发事件"), "records-incident-list", {"records-incident-list"}), key="institutions"),
    _group(_("检查与整改"),
           (_("监督检查"), "inspection-list", {"inspection-list", "inspection-detail", "inspection-execute",
                                             "inspection-coverage"}),
           (_("问题隐患"), "finding-list", {"finding-list", "finding-detail"}),
           (_("整改验收"), "finding-verify-queue", {"finding-verify-queue"}),
           (_("移送抄告"), "referral-list", {"referral-list", "referral-detail"}),
           (_("挂牌督办"), "supervised-case-list", {"supervised-case-list", "suspension-order-list"}),
           key="inspections"),
    (_("投诉举报"), "complaint-list", {"complaint-list", "complaint-detail", "complaint-statistics"}),
    (_("信用名单"), "credit-entry-list", {"credit-entry-list", "credit-entry-detail", "credit-institution"}),
    (_("监管效能"), "dashboard", {"dashboard"}),
    _group(_("清单与公开"),
           (_("三个清单"), "finding-lists-home", {"finding-lists", "finding-lists-home"}),
           (_("监管职责清单"), "duty-catalog", {"duty-catalog", "duty-detail"}), key="catalogs"),
]
# Civil affairs plans and draws the 双随机 inspections (seed 002 二(二)): first entry of its inspections menu.
CIVIL_AFFAIRS_NAV = [
    (_("抽查计划"), "plan-list", {"plan-list", "plan-create", "plan-detail", "draw-detail"}),
]
INSTITUTION_NAV = [
    (_("本机构"), "staff-home", {"staff-home", "finding-list", "finding-detail"}),
    WORK_ENTRY,
    (_("监督检查"), "institution-inspections", {"institution-inspections"}),
    (_("问题整改"), "finding-mine", {"finding-mine", "finding-rectify"}),
    (_("本机构备案"), "filing-mine", {"filing-mine", "filing-mine-start", "filing-mine-update"}),
    (_("信息公开"), "records-disclosure-mine", {"records-disclosure-mine", "records-disclosure-edit"}),
    _group(_("报告"),
           (_("突发事件报告"), "records-incident-report", {"records-incident-report"}),
           (_("应急演练"), "records-drill-create", {"records-drill-create"}), key="reports"),
    (_("本机构信用"), "credit-mine", {"credit-mine", "credit-institution", "credit-entry-detail"}),
]
PUBLIC_NAV = [
    (_("首页"), "public-home", {"public-home", "public-search"}),
    (_("养老机构查询"), "public-institution-list", {"public-institution-list", "public-institution-detail"}),
    (_("未备案机构名单"), "public-unfiled", {"public-unfiled"}),
    (_("双随机抽查"), "public-draw-list", {"public-draw-list", "public-draw-detail", "public-draw-verify"}),
    (_("监督检查"), "public-inspection-results", {"public-inspection-results", "public-inspection-result"}),
    (_("挂牌督办"), "public-supervised-cases", {"public-supervised-cases"}),
    (_("信用名单"), "public-credit-lists", {"public-credit-lists"}),
    (_("投诉举报"), "complaint-public-form", {"complaint-public-form", "complaint-public-track"}),
    (_("监管清单"), "public-duty-catalog", {"public-duty-catalog", "public-duty-detail"}),
    (_("开放数据"), "public-open-data", {"public-open-data"}),
    (_("登录"), "login", {"login"}),
]


def _build(entry, current) -> NavItem:
    if isinstance(entry[1], list):
        children = [_build(child, current) for child in entry[1]]
        return NavItem(entry[0], "", any(c.active for c in children), children, key=entry[2])
    label, name, names = entry
    return NavItem(label, reverse(name), current in names, badge=name == "work-queue")


def nav_items(request, who: Identity) -> list[NavItem]:
    if who.is_staff_side:
        spec = list(STAFF_NAV)
    elif who.kind == "anonymous":
        spec = PUBLIC_NAV
    elif who.kind == "institution":
        spec = INSTITUTION_NAV
    else:
        spec = STAFF_NAV[:1]  # signed in, no department yet: only the home that says so
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    items = [_build(entry, current) for entry in spec]
    if who.is_staff_side and (request.user.is_superuser or who.profile.department.kind.code == "civil_affairs"):
        inspections = next(item for item in items if item.key == "inspections")
        inspections.children[:0] = [_build(entry, current) for entry in CIVIL_AFFAIRS_NAV]
        inspections.active = any(c.active for c in inspections.children)
    system = []
    if who.is_staff_side and (request.user.is_superuser or getattr(who.profile, "role", None) == "admin"):
        system.append(NavItem(_("审计记录"), reverse("audit-search"), current == "audit-search"))
    if who.is_staff_side and request.user.is_superuser:
        system.append(NavItem(_("管理后台"), reverse("admin:index"), False))
    if system:
        items.append(NavItem(_("系统"), "", any(i.active for i in system), system, key="system"))
    return items


def navigation(request):
    """Role-aware navigation: what the signed-in user is (staff of a department, institution, admin)."""
    who = SimpleLazyObject(lambda: identity(request))
    return {
        "portal_identity": who,
        "nav_profile": SimpleLazyObject(lambda: who.profile),
        "nav_items": SimpleLazyObject(lambda: nav_items(request, who)),
    }
