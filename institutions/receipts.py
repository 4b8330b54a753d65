"""The filing receipt (备案回执) as a PDF in Chinese (seed 003 一(一): 材料齐全的，及时出具备案回执).

ReportLab's built-in CID font STSong-Light renders Chinese without shipping a font file: government
intranets are often offline and the PDF viewer supplies the glyphs.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .choices import FilingKind, FilingState

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = {FilingKind.INITIAL: "养老机构备案回执", FilingKind.CHANGE: "养老机构变更备案回执",
         FilingKind.CANCELLATION: "养老机构注销备案回执"}


def _p(text, style):
    # Paragraph reads a mini-markup: escape the data, keep the line breaks.
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def filing_receipt_pdf(filing) -> bytes:
    """The receipt of an approved filing; `ValueError` for any other state (there is nothing to certify)."""
    if filing.state != FilingState.APPROVED or not filing.number:
        raise ValueError("only an approved filing has a receipt")
    institution = filing.institution
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=14)
    department = filing.review_department.name if filing.review_department else ""
    approved = timezone.localtime(filing.reviewed_at) if filing.reviewed_at else timezone.localtime()
    date_text = f"{approved.year}年{approved.month}月{approved.day}日"

    rows = [
        ("回执编号", filing.number),
        ("机构名称", filing.name),
        ("统一社会信用代码", institution.uscc),
        ("服务场所地址", filing.address),
        ("法定代表人", filing.legal_representative),
        ("床位数", str(filing.beds)),
        ("备案类型", filing.get_kind_display()),
        ("备案机关", department),
        ("备案日期", date_text),
    ]
    table = Table([[_p(k, body), _p(v, body)] for k, v in rows], colWidths=[40 * mm, 125 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
        ("BACKGROUND", (0, 0), (0, -1), "#f0f0f0"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story = [
        _p(f"{TITLE[filing.kind]}", title),
        Spacer(1, 4 * mm),
        _p(f"{filing.name}：", body),
        _p(f"    你单位提交的{filing.get_kind_display()}材料齐全，已予{filing.get_kind_display()}。"
           "请按照承诺开展养老服务活动，备案民政部门将自备案之日起20个工作日内进行现场检查，核实备案信息。", body),
        Spacer(1, 4 * mm),
        table,
    ]
    marks = []
    if filing.below_accessibility_standard:
        marks.append("未达到无障碍设施标准")
    if filing.below_fire_standard:
        marks.append("未达到消防安全标准")
    if marks:
        story += [Spacer(1, 3 * mm), _p("备注：" + "；".join(marks) + "，已通报有关主管部门。", body)]
    pledge = getattr(filing, "pledge", None)
    if pledge is not None:
        story += [
            Spacer(1, 5 * mm),
            _p("信用承诺（向社会公开）", body),
            _p(pledge.text, small),
            _p(f"承诺人：{pledge.signer_name}（{pledge.signer_title}）  签署时间："
               f"{timezone.localtime(pledge.signed_at):%Y-%m-%d %H:%M}", small),
        ]
    story += [Spacer(1, 10 * mm), _p(f"{department}（备案机关）", body), _p(date_text, body)]

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=TITLE[filing.kind], author=department,
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm)
    doc.build(story)
    return buffer.getvalue()
