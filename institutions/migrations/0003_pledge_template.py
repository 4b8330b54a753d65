"""The first version of the written credit pledge (信用承诺书) institutions sign when they file.

Seed 000 task 38: 备案申请人应当就养老机构按照建筑、消防、食品、医疗卫生等法律法规和国家有关标准开展服务活动提交
书面承诺并向社会公开. Later versions are added by administrators; signatures keep the exact text they signed.
"""

import datetime as dt

from django.db import migrations

PLEDGE_TEXT = (
    "本机构郑重承诺：\n"
    "一、所填报的备案信息及提交的材料真实、准确、完整，如有变化及时办理变更备案。\n"
    "二、服务场所及设施符合建筑、消防、食品、医疗卫生、特种设备、无障碍等法律法规和国家有关标准的要求，"
    "并按照上述要求开展养老服务活动。\n"
    "三、依法依规与老年人或其代理人签订服务协议，按照协议约定提供服务，不以任何形式侵害老年人合法权益。\n"
    "四、主动接受民政等部门的监督检查和社会监督，按要求公开服务项目、收费标准等信息。\n"
    "五、本承诺书向社会公开，履约情况记入信用记录；如有违反，自愿承担相应法律责任，接受依法依规实施的惩戒。"
)


def create_first_version(apps, schema_editor):
    PledgeTemplate = apps.get_model("institutions", "PledgeTemplate")
    if not PledgeTemplate.objects.exists():
        PledgeTemplate.objects.create(version=1, title="养老机构备案信用承诺书", text=PLEDGE_TEXT,
                                      effective_from=dt.date(2026, 1, 1), active=True)


def remove_first_version(apps, schema_editor):
    PledgeTemplate = apps.get_model("institutions", "PledgeTemplate")
    PledgeTemplate.objects.filter(version=1, signatures__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0002_filings_and_institution_records")]

    operations = [migrations.RunPython(create_first_version, remove_first_version)]
