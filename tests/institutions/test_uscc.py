"""统一社会信用代码 (GB 32100-2015): the worked examples of institutions/USCC.md, bad codes, the form error."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from hypothesis import given
from hypothesis import strategies as st

from institutions.models import Institution
from institutions.uscc import CHARSET, build_uscc, legal_form_of, validate_uscc

GOOD = ["91110000600037341L", "12440300MB2C92173E", "52120103123456788B"]


@pytest.mark.parametrize("code", GOOD)
def test_worked_examples_are_valid(code):
    validate_uscc(code)


@pytest.mark.parametrize("code", GOOD)
def test_lower_case_is_read_as_upper_case(code):
    validate_uscc(code.lower())


@pytest.mark.parametrize("code", GOOD)
def test_changing_the_check_character_is_detected(code):
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        validate_uscc(wrong)
    assert exc.value.code == "check"


@pytest.mark.parametrize("code", GOOD)
@pytest.mark.parametrize("position", [0, 3, 9, 12])
def test_a_one_character_change_in_the_body_is_invalid(code, position):
    replacement = "7" if code[position] != "7" else "8"
    with pytest.raises(ValidationError):
        validate_uscc(code[:position] + replacement + code[position + 1:])


@pytest.mark.parametrize("code, error", [
    ("91110000600037341", "length"), ("91110000600037341LL", "length"), ("", "length"),
    ("9111000060003734IL", "charset"), ("9111000060003734OL", "charset"), ("9111000060003734SL", "charset"),
    ("9111000060003734VL", "charset"), ("9111000060003734ZL", "charset"), ("91110000-600037341", "charset"),
])
def test_wrong_length_and_forbidden_letters(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert exc.value.code == error


@pytest.mark.parametrize("code, form", [
    ("12440300MB2C92173E", "public_institution"), ("52120103123456788B", "social_service"),
    ("91110000600037341L", "enterprise"), ("Y1120101MA0000000X", "other"),
])
def test_legal_form_from_the_first_two_characters(code, form):
    assert legal_form_of(code) == form


@pytest.mark.django_db
def test_a_wrong_code_is_a_clear_field_error_on_the_institution_form():
    other = Institution.objects.order_by("id").first()
    Form = modelform_factory(Institution, fields=["name", "uscc", "region", "legal_form", "profit_nature",
                                                 "status", "beds", "residents", "building_area"])
    data = {"name": "测试养老院", "uscc": "91110000600037341M", "region": other.region_id, "legal_form": "enterprise",
            "profit_nature": "profit", "status": "operating", "beds": 10, "residents": 0, "building_area": "100"}
    form = Form(data=data)
    assert not form.is_valid()
    assert list(form.errors) == ["uscc"]
    assert "校验位" in form.errors["uscc"][0]

    form = Form(data={**data, "uscc": "91110000600037341L"})
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_full_clean_puts_the_error_on_uscc():
    inst = Institution.objects.order_by("id").first()
    inst.uscc = "12440300MB2C92173F"
    with pytest.raises(ValidationError) as exc:
        inst.full_clean()
    assert set(exc.value.message_dict) == {"uscc"}


body8 = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)
division = st.from_regex(r"\A[1-6][0-9]{5}\Z")
prefix = st.sampled_from(["11", "12", "13", "19", "21", "51", "52", "53", "91", "92", "93", "Y1"])


@given(prefix=prefix, division=division, body=body8)
def test_built_codes_always_validate(prefix, division, body):
    validate_uscc(build_uscc(prefix, division, body))


@given(prefix=prefix, division=division, body=body8, position=st.integers(0, 17), shift=st.integers(1, 30))
def test_any_single_character_substitution_is_detected(prefix, division, body, position, shift):
    code = build_uscc(prefix, division, body)
    replacement = CHARSET[(CHARSET.index(code[position]) + shift) % 31]
    with pytest.raises(ValidationError):
        validate_uscc(code[:position] + replacement + code[position + 1:])
