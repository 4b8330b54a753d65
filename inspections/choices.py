from django.db import models
from django.utils.translation import gettext_lazy as _

# Maintained on the institution by credit (a lower app), read here by the draw.
from institutions.choices import CreditList as ListKind
from institutions.choices import RiskLevel


class ChecklistCategory(models.TextChoices):
    KEY = "key", _("重点检查事项")
    GENERAL = "general", _("一般检查事项")


class Confidence(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


# state → the states a plan may move to. A published plan is the public commitment the draws are made
# against, so it never goes back to draft.
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanState.DRAFT: frozenset({PlanState.PUBLISHED}),
    PlanState.PUBLISHED: frozenset(),
}




NEUTRAL_RISK_MULTIPLIERS = {RiskLevel.LOW.value: 1.0, RiskLevel.MEDIUM.value: 1.0, RiskLevel.HIGH.value: 1.0}
NEUTRAL_LIST_MULTIPLIERS = {ListKind.WATCH.value: 1.0, ListKind.BLACK.value: 1.0, ListKind.RED.value: 1.0}


def neutral_risk_multipliers() -> dict:
    return dict(NEUTRAL_RISK_MULTIPLIERS)


def neutral_list_multipliers() -> dict:
    return dict(NEUTRAL_LIST_MULTIPLIERS)


class DrawState(models.TextChoices):
    COMMITTED = "committed", _("已公布承诺")
    EXECUTED = "executed", _("已抽取并公开种子")


# state → the states a draw may move to. A committed draw must be executed (it cannot be withdrawn and
# committed again with another seed: that would let the organiser pick among outcomes), and an executed draw
# is final.
DRAW_TRANSITIONS: dict[str, frozenset[str]] = {
    DrawState.COMMITTED: frozenset({DrawState.EXECUTED}),
    DrawState.EXECUTED: frozenset(),
}
