"""The inspection record (检查记录表) as a PDF in Chinese, with the filing receipt's font handling (ReportLab's
built-in CID font STSong-Light: no font file shipped, the viewer supplies the glyphs)."""

from io import BytesIO

from django.utils import timezone
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from institutions.receipts import FONT
from institutions.receipts import _p as paragraph  # escapes the data, keeps line breaks

GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
])


def _date(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def inspection_record_pdf(inspection, *, team, rows, findings, departments) -> bytes:
    """`rows`: [(item, ItemResult or None)]; `findings`: what the reader may see (restrict())."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12)
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, alignment=TA_CENTER)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=6)
    institution = inspection.institution

    head = [
        ("被检查机构", institution.name), ("统一社会信用代码", institution.uscc), ("地址", institution.address or "—"),
        ("检查类型", inspection.get_kind_display()), ("检查状态", inspection.get_state_display()),
        ("牵头部门", inspection.lead_department.name), ("参检部门", "、".join(d.name for d in departments)),
        ("计划检查日期", _date(inspection.scheduled_for)), ("开始检查", _date(inspection.started_at)),
        ("完成检查", _date(inspection.completed_at)),
    ]
    if inspection.origin:
        head.append(("检查来源", inspection.origin))
    head_table = Table([[paragraph(k, body), paragraph(v, body)] for k, v in head], colWidths=[35 * mm, 135 * mm])
    head_table.setStyle(GRID)
    head_table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), "#f0f0f0")]))

    item_table = Table(
        [[paragraph(h, body) for h in ("编码", "检查内容", "领域", "结果")]]
        + [[paragraph(item.code, small), paragraph(item.text, small), paragraph(item.domain.name, small),
            paragraph(result.get_result_display() if result else "未记录", small)] for item, result in rows],
        colWidths=[24 * mm, 100 * mm, 26 * mm, 20 * mm], repeatRows=1)
    item_table.setStyle(GRID)
    item_table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), "#f0f0f0")]))

    story = [paragraph("养老机构监督检查记录表", title), Spacer(1, 3 * mm),
             paragraph(f"编号：JC-{inspection.pk:06d}", small), Spacer(1, 2 * mm), head_table,
             paragraph("一、检查事项及结果", heading), item_table, paragraph("二、发现的问题隐患", heading)]
    findings = list(findings)
    if findings:
        finding_table = Table(
            [[paragraph(h, body) for h in ("领域", "等级", "问题描述及依据", "整改期限", "验收部门")]]
            + [[paragraph(f.domain.name, small), paragraph(f.get_severity_display(), small),
                paragraph(f.text + (f"\n依据：{f.basis}" if f.basis else ""), small),
                paragraph(f"{f.rectification_working_days}个工作日\n至{_date(f.rectification_due)}", small),
                paragraph(f.verifying_department.name if f.verifying_department else "—", small)]
               for f in findings],
            colWidths=[22 * mm, 18 * mm, 76 * mm, 26 * mm, 28 * mm], repeatRows=1)
        finding_table.setStyle(GRID)
        finding_table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), "#f0f0f0")]))
        story.append(finding_table)
    else:
        story.append(paragraph("未发现问题隐患。", body))
    story.append(paragraph("三、检查人员签字", heading))
    sign_table = Table(
        [[paragraph(h, body) for h in ("检查人员", "所属部门", "执法证号", "签字时间")]]
        + [[paragraph(m.inspector.display_name, small), paragraph(m.inspector.department.name, small),
            paragraph(m.inspector.certificate_number or "—", small), paragraph(_date(m.signed_at), small)]
           for m in team],
        colWidths=[32 * mm, 60 * mm, 38 * mm, 40 * mm])
    sign_table.setStyle(GRID)
    story += [sign_table, Spacer(1, 6 * mm),
              paragraph("被检查机构负责人（签字）：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日", body),
              Spacer(1, 3 * mm), paragraph(f"打印时间：{_date(timezone.now())}", small)]

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title="养老机构监督检查记录表", author=inspection.lead_department.name,
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    doc.build(story)
    return buffer.getvalue()
