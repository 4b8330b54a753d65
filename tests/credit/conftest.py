import pytest

from agencies.models import Domain
from institutions.models import Institution


@pytest.fixture
def heping(db):
    """The four 和平区 demo institutions by suffix: 颐养院 (inst_1), 康乐养老院 (inst_2, filed, pledge signed),
    福寿老年公寓 (inst_3), 夕阳红养护中心 (inst_4)."""
    return {i.name.removeprefix("天津市和平区"): i for i in Institution.objects.filter(region__code="120101")}


@pytest.fixture
def domains(db):
    return {d.code: d for d in Domain.objects.all()}

