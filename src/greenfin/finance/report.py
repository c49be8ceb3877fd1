"""The carbon credit report (碳征信报告) as PDF, drawn from the stored signed envelope.

The PDF is a rendering of the signed JSON, never a second source: every figure comes from
``envelope["report"]``, and the last section prints the report id, the key id, the SHA-256
of the canonical report bytes and the signature, so a reader can match the paper to the
JSON and verify it with ``greenfin finance verify``. Chinese text uses reportlab's built-in
CID font ``STSong-Light`` (Adobe-GB1), so nothing is downloaded or embedded.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"
FARM_TYPES_ZH = {
    "organic_fertiliser_producer": "有机肥生产企业",
    "pig_farm": "生猪养殖场",
    "grain_grower": "种粮大户",
    "cooperative": "农民专业合作社",
}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("—" if text is None else str(text)), style)


def render_pdf(envelope: dict[str, Any]) -> bytes:
    """The PDF bytes of a signed report envelope."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=4)
    report = envelope["report"]
    signature = envelope["signature"]
    borrower = report["borrower"]
    story: list[Any] = [
        _p("碳征信报告 Carbon credit report", h1),
        _p(f"报告编号：{report['report_id']}　签发时间：{report['issued_at']}", body),
        _p(f"签发平台：{report['issuer']['platform']}（{report['issuer'].get('region_name_zh', '')}）", body),
        _p(f"报送银行：{report['bank']['name']}（{report['bank']['code']}）", body),
        _p(
            f"授权：{report['consent']['id']}，范围 {report['consent']['scope']}，"
            f"有效至 {report['consent']['expires_at']}",
            body,
        ),
        _p("一、主体信息", h2),
    ]
    identity_rows = [["名称", borrower.get("name")]]
    if borrower["kind"] == "enterprise":
        identity_rows += [
            ["统一社会信用代码", borrower.get("uscc")],
            ["所在区县", f"{borrower.get('county_name_zh', '')}（{borrower.get('county_code')}）"],
            ["行业", f"{borrower.get('industry_name_zh', '')}（{borrower.get('industry_code')}）"],
        ]
    else:
        identity_rows += [
            ["类型", FARM_TYPES_ZH.get(borrower.get("farm_type", ""), borrower.get("farm_type"))],
            ["统一社会信用代码", borrower.get("uscc")],
            ["经营者身份证号（脱敏）", borrower.get("holder_id_masked")],
            [
                "所在区县 / 乡镇",
                f"{borrower.get('county_name_zh', '')}（{borrower.get('county_code')}）/ {borrower.get('township')}",
            ],
            ["面积（亩）/ 存栏（头）", f"{borrower.get('area_mu')} / {borrower.get('herd_heads')}"],
        ]
    story.append(_table([[_p(k, body), _p(v, body)] for k, v in identity_rows], [45 * mm, 120 * mm]))

    story.append(_p("二、近三年碳排放与强度" if borrower["kind"] == "enterprise" else "二、近三年减排量与减排强度", h2))
    if borrower["kind"] == "enterprise":
        rows = [["年度", "总排放 tCO2", "能源 tCO2", "过程 tCO2", "强度 tCO2/万元(增加值)", "标签", "同行 K"]]
        for y in report["years"]:
            label = y.get("label") or {}
            peers = y.get("peers") or {}
            rows.append(
                [
                    y["year"],
                    y["total_co2_t"],
                    y["energy_co2_t"],
                    y["process_co2_t"],
                    y["intensity"]["added_value_t_per_wan"],
                    label.get("name_zh") or "",
                    peers.get("k_ratio") or "",
                ]
            )
    else:
        rows = [["年度", "减排量 kg CO2e", "减排强度", "单位", "标签", "同类排名", "数据质量"]]
        for y in report["years"]:
            peers = y.get("peers") or {}
            rows.append(
                [
                    y["year"],
                    y["reduction_co2e_kg"],
                    y["reduction_intensity"],
                    y["intensity_unit"],
                    y["label"]["name_zh"],
                    f"{peers.get('rank')}/{peers.get('of')}" if peers else "",
                    y["data_quality"],
                ]
            )
    story.append(_table([[_p(c, small) for c in row] for row in rows], None, header=True))

    story.append(_p("三、标签说明", h2))
    for y in report["years"]:
        label = y.get("label") or {}
        story.append(_p(f"{y['year']}：{label.get('name_zh', '未贴标')} —— {label.get('reason_zh', '')}", body))

    story.append(_p("四、可享受的授信条件", h2))
    terms = report["terms"]
    offer = terms["base_offer"]
    story.append(
        _p(
            f"参考报价：利率 {offer['rate_bp']} bp，金额 {offer['amount_fen']} 分，期限 {offer['term_months']} 个月，"
            f"担保费 {offer['guarantee_fee_bp']} bp",
            body,
        )
    )
    story.append(
        _p(
            f"适用条件：利率 {terms['rate_bp']} bp，额度 {terms['amount_fen']} 分，"
            f"担保费 {terms['guarantee_fee_bp']} bp，快速审批 {'是' if terms['fast_track'] else '否'}，"
            f"可申请产品 {', '.join(terms['eligible_products']) or '无'}",
            body,
        )
    )
    for a in terms["adjustments"]:
        story.append(_p(f"· {a['reason_zh']}（规则 {a['rule_id']}）", small))
    story.append(_p(f"政策表：{terms['policy_id']}", small))

    story.append(_p("五、平台签名（Ed25519）", h2))
    for text in (
        f"算法：{signature['algorithm']}　公钥编号：{signature['key_id']}",
        f"报告规范化 JSON 的 SHA-256：{signature['sha256']}",
        f"签名：{signature['value']}",
        "核验：取得平台公钥（GET /api/v1/finance/signing-key），对 JSON 报告运行 greenfin finance verify。",
    ):
        story.append(_p(text, small))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"碳征信报告 {report['report_id']}",
        author="greenfin",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    document.build(story)
    return buffer.getvalue()


def _table(rows: list[list[Any]], widths: list[float] | None, *, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f2ea")))
    table.setStyle(TableStyle(style))
    return table


__all__ = ["render_pdf"]
