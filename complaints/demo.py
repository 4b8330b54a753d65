"""Demo complaints: every category and every state, in 和平区 and 河西区, made through the services.

Called from portal.demo.build_demo_city; does nothing when complaints exist already.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.choices import OutboxState
from agencies.models import Department, OutboxMessage, Region
from institutions.models import Institution

from .choices import Category, ComplaintState
from .models import Complaint, ComplaintNotification
from .services import (
    complaint_acknowledge,
    complaint_answer,
    complaint_dismiss,
    complaint_merge,
    complaint_rate,
    complaint_route,
    complaint_submit,
    routing_suggestions,
)

TEXT = {
    Category.SERVICE_QUALITY: "护理员人手不足，老人呼叫后半小时无人应答。",
    Category.ABUSE: "护工对失能老人推搡、辱骂，家属探视时亲眼看到。",
    Category.FEES: "收费项目与合同不一致，另收取“护理升级费”。",
    Category.FOOD: "食堂饭菜变质，多位老人腹泻。",
    Category.FIRE: "楼道堆放杂物堵塞疏散通道，消防门被锁。",
    Category.MEDICAL: "医务室无执业医师，由护工给老人输液。",
    Category.FUNDRAISING: "机构推销“养老床位预售”，承诺高额返利，动员老人投资。",
    Category.UNLICENSED: "小区里有人开托老点，收住七八位老人，没有牌照。",
    Category.BUILDING: "老楼墙体开裂，雨天漏水，老人居室有掉灰。",
    Category.EQUIPMENT: "电梯经常停在两层之间，检验合格证已过期。",
    Category.MEDICAL_INSURANCE: "医务室用老人医保卡刷取未提供的药品。",
    Category.OTHER: "机构不公开投诉电话，意见箱常年上锁。",
}
# The state each demo complaint is taken to, so that every state appears.
TARGETS = [ComplaintState.SUBMITTED, ComplaintState.ROUTED, ComplaintState.HANDLING, ComplaintState.ANSWERED,
           ComplaintState.CLOSED, ComplaintState.DISMISSED]


def build_demo_complaints() -> int:
    if Complaint.objects.exists():
        return 0
    User = get_user_model()
    intake = {"120101": User.objects.get(username="civil_heping"), "120103": User.objects.get(username="civil_hexi")}
    made = []
    for n, category in enumerate(Category):
        district = "120101" if n % 2 == 0 else "120103"
        region = Region.objects.get(code=district)
        if category == Category.UNLICENSED:
            complaint, _secret, _created = complaint_submit(
                category=category, region=region, operator_name="无名托老点",
                operator_address=f"{region.name}某小区底商", description=TEXT[category])
        else:
            home = Institution.objects.filter(region=region, name__startswith="天津市").order_by("id")[n % 4]
            complaint, _secret, _created = complaint_submit(
                category=category, institution=home, description=TEXT[category],
                complainant_name="张某" if n % 3 else "", complainant_phone="13600000000" if n % 3 else "",
                consent=bool(n % 3))
        _advance(complaint, TARGETS[n % len(TARGETS)], intake[district])
        made.append(complaint)
    # A duplicate merged into the first, and one complaint overdue.
    duplicate, _secret, _created = complaint_submit(
        category=Category.SERVICE_QUALITY, institution=made[0].institution,
        description="（另一位家属）呼叫器按了很久没人来，夜班只有一名护理员。")
    complaint_merge(intake["120101"], duplicate, made[0])
    past = timezone.localdate() - dt.timedelta(days=60)
    Complaint.objects.filter(pk=made[1].pk).update(answer_due=past, acknowledge_due=past)
    # The demo's history is not news: nobody is e-mailed about it.
    now = timezone.now()
    unsent = ComplaintNotification.objects.filter(sent_at__isnull=True)
    OutboxMessage.objects.filter(complaint_notification__in=unsent, state=OutboxState.PENDING).update(
        state=OutboxState.SENT, sent_at=now)
    unsent.update(sent_at=now)
    return len(made) + 1


def _handler(department: Department):
    return get_user_model().objects.filter(staff_profile__department=department).order_by("id").first()


def _advance(complaint, target, intake_user):
    if target == ComplaintState.SUBMITTED:
        return
    if target == ComplaintState.DISMISSED:
        complaint_dismiss(intake_user, complaint,
                          "反映的是子女赡养纠纷，不属于养老服务监管事项，已告知向人民调解委员会申请调解。")
        return
    suggestions = [d for d in routing_suggestions(complaint) if d.level == "district"]
    # Route to the first suggested district department that has a demo account, else civil affairs itself.
    department = next((d for d in suggestions if _handler(d) is not None), intake_user.staff_profile.department)
    complaint_route(intake_user, complaint, department)
    if target == ComplaintState.ROUTED:
        return
    handler = _handler(department)
    complaint_acknowledge(handler, complaint)
    if target == ComplaintState.HANDLING:
        return
    complaint_answer(handler, complaint, "substantiated", "责令限期整改，整改完成后复查。",
                     "经现场核查，您反映的问题属实，已责令机构限期整改，我们将复查整改情况。")
    if target == ComplaintState.CLOSED:
        complaint_rate(complaint, 4, "处理及时。")
