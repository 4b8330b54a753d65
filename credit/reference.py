"""Reference data of the credit app: the pledge clauses and the checklist items that test them, the first
scoring model (published), and the joint punishment / incentive catalog per department kind (seed 002 二(三)3–4).

Loaded by migration 0002 and again by the demo (a transactional test's flush empties these tables).
"""

from django.utils import timezone

# The clauses of the pledge text of institutions/migrations/0003_pledge_template.py, and the checklist item
# codes (inspections/data/checklist_items.csv) whose findings break them.
PLEDGE_ITEMS = [
    ("一", "所填报的备案信息及提交的材料真实、准确、完整，如有变化及时办理变更备案。",
     ["GEN-REG-04", "GEN-REG-05"]),
    ("二", "服务场所及设施符合建筑、消防、食品、医疗卫生、特种设备、无障碍等法律法规和国家有关标准的要求，"
           "并按照上述要求开展养老服务活动。",
     ["KEY-SVC-01", "KEY-BLD-01", "KEY-BLD-02", "KEY-BLD-03", "KEY-FIRE-01", "KEY-FIRE-02", "KEY-FIRE-03",
      "KEY-FIRE-04", "KEY-FIRE-05", "KEY-FOOD-01", "KEY-FOOD-02", "KEY-FOOD-04", "KEY-MED-01", "KEY-MED-02",
      "KEY-MED-03", "KEY-SEQ-01", "KEY-SEQ-02"]),
    ("三", "依法依规与老年人或其代理人签订服务协议，按照协议约定提供服务，不以任何形式侵害老年人合法权益。",
     ["GEN-CON-01", "GEN-CON-02", "KEY-OPS-01", "GEN-ADV-02"]),
    ("四", "主动接受民政等部门的监督检查和社会监督，按要求公开服务项目、收费标准等信息。",
     ["GEN-INF-01", "GEN-INF-02", "GEN-INF-03", "GEN-FEE-01"]),
    ("五", "本承诺书向社会公开，履约情况记入信用记录。", ["GEN-INF-06"]),
]

WEIGHTS = {"penalty": -15, "judgment": -20, "compulsory": -15, "broken_pledge": -10, "complaint": -5,
           "serious_finding": -8, "refusal": -20, "late_filing": -5, "honour": 5}
HALF_LIFE = {"penalty": 730, "judgment": 1095, "compulsory": 730, "broken_pledge": 365, "complaint": 365,
             "serious_finding": 365, "refusal": 730, "late_filing": 365, "honour": 730}
THRESHOLDS = {"A": 95, "B": 85, "C": 70}

B3 = "002号文 二(三)3；民发〔2019〕103号"
MEASURES = [
    ("civil_affairs", "black", "punishment", "列为重点监管对象，提高“双随机、一公开”抽查比例和频次", B3),
    ("civil_affairs", "black", "punishment", "不予享受运营补贴、政府购买服务等扶持政策，暂停等级评定", B3),
    ("civil_affairs", "black", "punishment", "在门户网站、信用网站公布联合惩戒对象名单，通报批评", B3),
    ("finance", "black", "punishment", "限制申请财政性资金项目，不予安排财政补贴资金", B3),
    ("development_reform", "black", "punishment", "限制申请政府投资项目资金，在公共资源交易中依法限制", B3),
    ("tax", "black", "punishment", "依法限制享受税收优惠政策", B3),
    ("housing_construction", "black", "punishment", "依法限制参与工程投标", B3),
    ("market_regulation", "black", "punishment", "通过国家企业信用信息公示系统公示，实施重点监管", B3),
    ("pbc", "black", "punishment", "将失信信息纳入金融信用信息基础数据库，作为授信参考", B3),
    ("financial_regulation", "black", "punishment", "引导金融机构审慎授信、限制获得授信", B3),
    ("fire_rescue", "black", "punishment", "增加消防监督检查频次，依法从严处理消防违法行为", B3),
    ("health", "black", "punishment", "增加内设医疗机构监督检查频次", B3),
    ("medical_security", "black", "punishment", "加强医保基金使用监管，从严审核医保定点协议", B3),
    ("civil_affairs", "watch", "punishment", "在“双随机、一公开”监管中增加抽查频次，实施更加严格的监管措施",
     "002号文 二(三)3"),
    ("market_regulation", "watch", "punishment", "增加抽查频次", "002号文 二(三)3"),
    ("fire_rescue", "watch", "punishment", "增加消防监督抽查频次", "002号文 二(三)3"),
    ("health", "watch", "punishment", "增加抽查频次", "002号文 二(三)3"),
    ("civil_affairs", "red", "incentive", "在“双随机、一公开”监管中合理降低检查频次；优先纳入相关工作试点范围",
     "002号文 二(三)4"),
    ("development_reform", "red", "incentive", "在公共资源交易领域享受信用加分", "002号文 二(三)4"),
    ("pbc", "red", "incentive", "支持和鼓励金融机构给予信贷优惠和便利", "002号文 二(三)4"),
    ("financial_regulation", "red", "incentive", "支持和鼓励金融机构给予信贷优惠和便利", "002号文 二(三)4"),
    ("finance", "red", "incentive", "在政府购买服务中同等条件下优先", "002号文 二(三)4"),
    ("fire_rescue", "red", "incentive", "合理降低消防监督抽查频次", "002号文 二(三)4"),
]


def load_credit_reference(apps=None):
    """Create what is missing (idempotent): a flushed test database or a fresh one gets the same rows."""
    if apps is None:
        from django.apps import apps
    PledgeItem = apps.get_model("credit", "PledgeItem")
    PledgeItemChecklistCode = apps.get_model("credit", "PledgeItemChecklistCode")
    ScoringModel = apps.get_model("credit", "ScoringModel")
    JointMeasure = apps.get_model("credit", "JointMeasure")
    DepartmentKind = apps.get_model("agencies", "DepartmentKind")
    for position, (code, text, checklist_codes) in enumerate(PLEDGE_ITEMS, start=1):
        item, _created = PledgeItem.objects.update_or_create(code=code, defaults={"text": text, "position": position})
        for checklist_code in checklist_codes:
            PledgeItemChecklistCode.objects.update_or_create(checklist_code=checklist_code,
                                                             defaults={"pledge_item": item})
    ScoringModel.objects.get_or_create(version=1, defaults={
        "weights": WEIGHTS, "half_life_days": HALF_LIFE, "thresholds": THRESHOLDS, "base_score": 100,
        "note": "初始版本：基础分100分，各类信用事项按半衰期衰减。", "published_at": timezone.now()})
    kinds = {k.code: k for k in DepartmentKind.objects.all()}
    for kind_code, list_kind, kind, text, basis in MEASURES:
        if kind_code in kinds:
            JointMeasure.objects.get_or_create(department_kind=kinds[kind_code], list_kind=list_kind, text=text,
                                               defaults={"kind": kind, "basis": basis})
