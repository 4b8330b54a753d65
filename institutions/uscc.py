"""统一社会信用代码 (GB 32100-2015): check characters, validation and building codes.

See USCC.md beside this file (the project's copy of the reference note) for the algorithm and its sources.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters; a character's value is its index
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 organization code
SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

LEGAL_FORMS = {"12": "public_institution", "51": "social_service", "52": "social_service",
               "53": "social_service", "91": "enterprise", "92": "individual"}


def uscc_check_char(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    def value(c):
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    remainder = 11 - sum(value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate_uscc(code: str) -> None:
    code = (code or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位，当前为%(n)d位。"), code="length", params={"n": len(code)})
    if not SHAPE.match(code):
        raise ValidationError(_("统一社会信用代码只能包含数字和除I、O、S、V、Z以外的大写字母。"), code="charset")
    if org_check_char(code[8:16]) != code[16]:
        raise ValidationError(_("统一社会信用代码第9–17位（组织机构代码）校验位不正确。"), code="org_check")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位（第18位）不正确，请核对。"), code="check")


def legal_form_of(code: str) -> str:
    return LEGAL_FORMS.get(code[:2], "other")


def build_uscc(prefix2: str, division6: str, body8: str) -> str:
    first17 = prefix2 + division6 + body8 + org_check_char(body8)
    return first17 + uscc_check_char(first17)
