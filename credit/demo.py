"""Credit data of the demo city: the four 河东区 institutions in every grade (A–D) and on every list.

Made through the services, as 市民政局 (`civil_city`), with fixed dates, so that the audit trail is the one a
real bureau would leave and the city is the same every time. 和平区 and 河西区, where the other journeys and
tests work, are left alone. Idempotent: nothing is added once the 河东区 institutions have credit events.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.models import Domain
from institutions.models import Institution

from .choices import BlacklistGround, EventKind, ListKind, RedGround, WatchGround
from .models import CreditEvent
from .reference import load_credit_reference
from .services.evaluation import evaluate_institutions
from .services.events import credit_event_record
from .services.lists import list_entry_decide, list_entry_notify, list_entry_propose, list_entry_publish

DISTRICT = "120102"  # 河东区
PROPOSED = dt.date(2026, 9, 1)
AS_OF = dt.date(2026, 11, 2)


def _publish(actor, entry, decided_on):
    if entry.list_kind != ListKind.RED:
        entry = list_entry_notify(actor, entry, on=PROPOSED)
    return list_entry_publish(actor, list_entry_decide(actor, entry, note="经审查，符合列入条件。", on=decided_on),
                              on=decided_on)


@transaction.atomic
def build_credit_demo() -> dict:
    load_credit_reference()
    actor = get_user_model().objects.get(username="civil_city")
    institutions = {i.name.removeprefix("天津市河东区"): i for i in Institution.objects.filter(region__code=DISTRICT)}
    if CreditEvent.objects.filter(institution__in=institutions.values()).exists():
        return {"institutions": len(institutions), "created": False}
    domains = {d.code: d for d in Domain.objects.filter(code__in=["funds", "operations_order", "credit"])}

    def event(inst, kind, on, summary, domain="operations_order", basis=""):
        credit_event_record(actor, institution=inst, domain=domains[domain], kind=kind, occurred_on=on,
                            summary=summary, legal_basis=basis)

    decided = dt.date(2026, 9, 15)
    # A: an honour, and the red list.
    a = institutions["颐养院"]
    event(a, EventKind.HONOUR, dt.date(2026, 5, 20), "获评市级养老服务示范机构")
    _publish(actor, list_entry_propose(actor, institution=a, list_kind=ListKind.RED, ground=RedGround.HIGH_CREDIT,
                                       facts="连续三年无不良信用记录，服务质量评价优秀。", on=PROPOSED), decided)
    # B: three substantiated complaints, and so the watch list.
    b = institutions["康乐养老院"]
    for n, day in enumerate((dt.date(2026, 7, 1), dt.date(2026, 7, 20), dt.date(2026, 8, 5))):
        event(b, EventKind.SUBSTANTIATED_COMPLAINT, day, f"投诉举报经查属实（第{n + 1}件）")
    _publish(actor, list_entry_propose(actor, institution=b, list_kind=ListKind.WATCH,
                                       ground=WatchGround.MANY_COMPLAINTS, facts="近一年投诉举报查实3件。",
                                       on=PROPOSED), decided)
    # C: a penalty and a broken pledge.
    c = institutions["福寿老年公寓"]
    event(c, EventKind.PENALTY, dt.date(2026, 4, 8), "向老年人欺诈销售保健品，罚款", basis="《老年人权益保障法》")
    event(c, EventKind.BROKEN_PLEDGE, dt.date(2026, 8, 18), "违反信用承诺第三条：未与老年人签订服务协议")
    # D: subsidy fraud, blacklisted, with the legal representative named (masked in public).
    d = institutions["夕阳红养护中心"]
    event(d, EventKind.PENALTY, dt.date(2026, 7, 3), "虚报入住人数骗取运营补贴，追回补贴并罚款", domain="funds",
          basis="《天津市养老服务促进条例》")
    _publish(actor, list_entry_propose(
        actor, institution=d, list_kind=ListKind.BLACK, ground=BlacklistGround.FUND_FRAUD, domain_obj=domains["funds"],
        facts="2026年虚报入住老年人数骗取运营补贴12万元，经查实受到行政处罚。", on=PROPOSED,
        persons=[{"role": "legal_rep", "name": "赵立新"}]), decided)
    # A proposal still in its objection window, so the staff queue has one to act on.
    list_entry_notify(actor, list_entry_propose(
        actor, institution=c, list_kind=ListKind.BLACK, ground=BlacklistGround.ELDER_ABUSE,
        domain_obj=domains["operations_order"], facts="护理员辱骂老年人，受到行政处罚。", on=AS_OF), on=AS_OF)
    evaluate_institutions([i.pk for i in institutions.values()], as_of=AS_OF)
    return {"institutions": len(institutions), "created": True}
