"""The bureaus' institution sheet (Excel), read and written with openpyxl.

One column list serves both directions, so that an exported file imports back unchanged (keyed by USCC).
Reading only parses and checks cell formats; what needs the database (district, scope, duplicates) is
checked in `services.directory.institutions_import_validate`.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from .choices import InstitutionStatus, LegalForm, ProfitNature
from .uscc import validate_uscc

TEXT, INT, DECIMAL, BOOL, CHOICE = "text", "int", "decimal", "bool", "choice"
YES, NO = "是", "否"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None
    choices: tuple = ()  # (value, label) pairs; the sheet holds the Chinese label


COLUMNS = [
    Column("机构名称", "name", required=True, max_length=128),
    Column("统一社会信用代码", "uscc", required=True),
    Column("所在区", "region", required=True),
    Column("地址", "address", max_length=255),
    Column("法定代表人", "legal_representative", max_length=64),
    Column("主要负责人", "person_in_charge", max_length=64),
    Column("联系人", "contact_person", max_length=64),
    Column("联系电话", "contact_phone", max_length=32),
    Column("床位数", "beds", INT),
    Column("在住老人数", "residents", INT),
    Column("建筑面积", "building_area", DECIMAL),
    Column("营利性质", "profit_nature", CHOICE, choices=tuple(ProfitNature.choices)),
    Column("法人类型", "legal_form", CHOICE, choices=tuple(LegalForm.choices)),
    Column("运营状态", "status", CHOICE, choices=tuple(InstitutionStatus.choices)),
    Column("内设医疗机构", "has_internal_medical_facility", BOOL),
    Column("医保定点", "medical_insurance_designated", BOOL),
    Column("设有食堂", "provides_meals", BOOL),
    Column("特种设备", "has_special_equipment", BOOL),
    Column("享受补贴", "receives_government_funds", BOOL),
    Column("公建民营", "public_built_private_run", BOOL),
    Column("使用养老服务设施用地", "eldercare_facility_land", BOOL),
    Column("非营利机构使用划拨土地", "nonprofit_on_allocated_land", BOOL),
    Column("居家社区养老服务", "home_community_service", BOOL),
]
BY_HEADER = {c.header: c for c in COLUMNS}


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number, as the user sees it (header is row 1)
    column: str  # header, or "" for the whole row
    message: str

    def __str__(self):
        if self.column:
            return _("第%(row)d行「%(column)s」：%(message)s") % {"row": self.row, "column": self.column,
                                                               "message": self.message}
        return _("第%(row)d行：%(message)s") % {"row": self.row, "message": self.message}

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message, "text": str(self)}


def _label(choices, value):
    return str(dict(choices).get(value, value))


EXPORT_PROGRESS_EVERY = 500


def export_workbook(institutions, progress=None) -> bytes:
    """The sheet for these institutions (the caller passes a `restrict()`ed queryset). `progress(done)` is
    called every few hundred rows when the export runs as a background job."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("养老机构名录"))
    ws.append([c.header for c in COLUMNS])
    for n, inst in enumerate(institutions.select_related("region").iterator(chunk_size=2000), start=1):
        if progress and n % EXPORT_PROGRESS_EVERY == 0:
            progress(n)
        row = []
        for c in COLUMNS:
            value = getattr(inst, c.field)
            if c.field == "region":
                value = inst.region.name
            elif c.kind == BOOL:
                value = YES if value else NO
            elif c.kind == CHOICE:
                value = _label(c.choices, value)
            elif c.kind == DECIMAL:
                value = float(value)
            row.append(value)
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _convert(column: Column, text: str):
    """The cell's value for the model field, or ValidationError with a message for the user."""
    if column.kind == TEXT:
        if column.field == "uscc":
            text = text.upper()
            validate_uscc(text)
        if column.max_length and len(text) > column.max_length:
            raise ValidationError(_("不能超过%(n)d个字") % {"n": column.max_length})
        return text
    if column.kind == INT:
        if not text:
            return 0
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("应为整数，当前为“%(v)s”") % {"v": text}) from None
        if number != number.to_integral_value() or number < 0:
            raise ValidationError(_("应为不小于0的整数，当前为“%(v)s”") % {"v": text})
        return int(number)
    if column.kind == DECIMAL:
        if not text:
            return Decimal("0")
        try:
            number = Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationError(_("应为数字，当前为“%(v)s”") % {"v": text}) from None
        if number < 0 or number >= Decimal("1e8"):
            raise ValidationError(_("数值超出范围：%(v)s") % {"v": text})
        return number
    if column.kind == BOOL:
        if text in (YES, "Y", "1", "TRUE", "True", "true"):
            return True
        if text in (NO, "", "N", "0", "FALSE", "False", "false"):
            return False
        raise ValidationError(_("应填“是”或“否”，当前为“%(v)s”") % {"v": text})
    if column.kind == CHOICE:
        if not text:
            return None  # the default (or, for legal form, read from the code)
        for value, label in column.choices:
            if text in (str(label), value):
                return value
        raise ValidationError(_("应为%(options)s之一，当前为“%(v)s”") % {
            "options": "、".join(str(label) for _v, label in column.choices), "v": text})
    raise AssertionError(column.kind)


def read_workbook(file) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """(row number, {field: value}) for every non-empty row, and every cell-format error of the file."""
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        return [], [RowError(1, "", _("无法读取文件，请上传 .xlsx 格式的Excel文件"))]
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    errors = [RowError(1, c.header, _("缺少此列")) for c in COLUMNS if c.required and c.header not in header]
    if errors:
        return [], errors
    positions = [(i, BY_HEADER[h]) for i, h in enumerate(header) if h in BY_HEADER]
    parsed = []
    for number, values in enumerate(rows, start=2):
        texts = [(_cell_text(values[i]) if i < len(values) else "", c) for i, c in positions]
        if not any(t for t, _c in texts):
            continue
        record = {}
        for text, column in texts:
            if column.required and not text:
                errors.append(RowError(number, column.header, _("必填")))
                continue
            try:
                value = _convert(column, text)
            except ValidationError as exc:
                errors.append(RowError(number, column.header, " ".join(exc.messages)))
                continue
            if value is not None:
                record[column.field] = value
        parsed.append((number, record))
    wb.close()
    if not parsed and not errors:
        errors.append(RowError(2, "", _("文件中没有机构数据")))
    return parsed, errors
