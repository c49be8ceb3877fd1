"""The carbon credit report (碳征信报告) as PDF, drawn from the stored signed envelope.

The PDF is a rendering of the signed JSON, never a second source: every figure comes from
``envelope["report"]``. It carries what the page and the JSON carry — identity, three years
of emissions (or reductions) and intensity, labels with their explanations, position among
peers, data quality (metered / declared / audited), reductions achieved, the terms with
every traced adjustment — and closes with the report id, the key id, the SHA-256 of the
canonical signed JSON and the signature, and a line saying that the signed JSON, not the
PDF, is the verifiable document and where the public key is published.

:func:`blocks` builds the content as plain text (headings, paragraphs, tables), so it can
be checked without reading a PDF back; :func:`render_pdf` only lays those blocks out.
Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1), so nothing
is downloaded or embedded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
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
SIGNING_KEY_PATH = "/api/v1/finance/signing-key"
FARM_TYPES_ZH = {
    "organic_fertiliser_producer": "有机肥生产企业",
    "pig_farm": "生猪养殖场",
    "grain_grower": "种粮大户",
    "cooperative": "农民专业合作社",
}
ENTERPRISE_YEAR_HEADER = [
    "年度",
    "总排放 tCO2",
    "能源 tCO2",
    "过程 tCO2",
    "综合能耗 tce",
    "强度 tCO2/万元(增加值)",
    "强度 tCO2/万元(产值)",
    "标签",
]
QUALITY_ZH = {"metered": "计量", "declared": "申报", "audited": "核查"}
FIELDS_ZH = {
    "rate_bp": "利率（bp）",
    "amount_fen": "额度（分）",
    "term_months": "期限（月）",
    "guarantee_fee_bp": "担保费（bp）",
    "fast_track": "快速审批",
    "eligible_products": "可申请产品",
}


@dataclass(frozen=True)
class Block:
    """One piece of the PDF: a heading (``h1``, ``h2``), a paragraph (``p``, ``small``) or a ``table``."""

    kind: str
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    header: bool = False

    def strings(self) -> list[str]:
        """Every text this block prints."""
        return [self.text] if self.kind != "table" else [cell for row in self.rows for cell in row]


def _t(value: Any) -> str:
    """A value as printed text: None as a dash, booleans in Chinese, lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_t(v) for v in value) or "无"
    return str(value)


def _quality(value: Any) -> str:
    """Data quality as text: one kind (farm) or the share of records per kind (enterprise)."""
    if isinstance(value, dict):
        return "，".join(f"{QUALITY_ZH.get(k, k)} {v}%" for k, v in sorted(value.items())) or "—"
    return QUALITY_ZH.get(str(value), _t(value))


def _identity(borrower: dict[str, Any]) -> list[list[str]]:
    rows = [["名称", _t(borrower.get("name"))]]
    if borrower["kind"] == "enterprise":
        return [
            *rows,
            ["统一社会信用代码", _t(borrower.get("uscc"))],
            ["所在区县", f"{borrower.get('county_name_zh', '')}（{borrower.get('county_code')}）"],
            ["行业", f"{borrower.get('industry_name_zh', '')}（{borrower.get('industry_code')}）"],
        ]
    return [
        *rows,
        ["类型", _t(FARM_TYPES_ZH.get(borrower.get("farm_type", ""), borrower.get("farm_type")))],
        ["统一社会信用代码", _t(borrower.get("uscc"))],
        ["经营者身份证号（脱敏）", _t(borrower.get("holder_id_masked"))],
        [
            "所在区县 / 乡镇",
            f"{borrower.get('county_name_zh', '')}（{borrower.get('county_code')}）/ {_t(borrower.get('township'))}",
        ],
        ["面积（亩）/ 存栏（头）", f"{_t(borrower.get('area_mu'))} / {_t(borrower.get('herd_heads'))}"],
    ]


def _years(report: dict[str, Any], enterprise: bool) -> Block:
    if enterprise:
        rows = [list(ENTERPRISE_YEAR_HEADER)]
        for y in report["years"]:
            intensity = y.get("intensity") or {}
            rows.append(
                [
                    _t(y["year"]),
                    _t(y.get("total_co2_t")),
                    _t(y.get("energy_co2_t")),
                    _t(y.get("process_co2_t")),
                    _t(y.get("energy_tce")),
                    _t(intensity.get("added_value_t_per_wan")),
                    _t(intensity.get("output_t_per_wan")),
                    _t((y.get("label") or {}).get("name_zh") or "未贴标"),
                ]
            )
    else:
        rows = [["年度", "减排量 kg CO2e", "减排强度", "单位", "分项减排", "标签"]]
        for y in report["years"]:
            practices = "；".join(f"{p['practice']} {p['co2e_kg']} kg" for p in y.get("by_practice") or [])
            rows.append(
                [
                    _t(y["year"]),
                    _t(y.get("reduction_co2e_kg")),
                    _t(y.get("reduction_intensity")),
                    _t(y.get("intensity_unit")),
                    _t(practices),
                    _t(y["label"]["name_zh"]),
                ]
            )
    return Block("table", rows=rows, header=True)


def _peers(y: dict[str, Any], enterprise: bool) -> str:
    peers = y.get("peers")
    if not peers:
        return "同行比较：无"
    if not enterprise:
        return f"同行比较：同类经营主体中排第 {peers.get('rank')} 名，共 {peers.get('of')} 家"
    return (
        f"同行比较：{_t(peers.get('peer_group'))}，同行 {_t(peers.get('peer_count'))} 家，"
        f"基准 {_t(peers.get('benchmark_t_per_wan'))} tCO2/万元（{_t(peers.get('benchmark_source'))}，"
        f"口径 {_t(peers.get('basis'))}），K = {_t(peers.get('k_ratio'))}，"
        f"同比 {_t(peers.get('yoy_change_pct'))}%"
    )


def _reductions(report: dict[str, Any], enterprise: bool) -> Block:
    if enterprise:
        rows = [["年度", "总排放较上年变化 tCO2"]]
        rows += [[_t(r["year"]), _t(r.get("total_co2_change_t"))] for r in report.get("reductions") or []]
    else:
        rows = [["年度", "减排量 kg CO2e"]]
        rows += [[_t(r["year"]), _t(r.get("reduction_co2e_kg"))] for r in report.get("reductions") or []]
    if len(rows) == 1:
        rows.append(["—", "无（缺少相邻两年数据）"])
    return Block("table", rows=rows, header=True)


def blocks(envelope: dict[str, Any]) -> list[Block]:
    """The content of the PDF, in order, as plain text (what :func:`render_pdf` lays out)."""
    report = envelope["report"]
    signature = envelope["signature"]
    borrower = report["borrower"]
    enterprise = borrower["kind"] == "enterprise"
    out: list[Block] = [
        Block("h1", "碳征信报告 Carbon credit report"),
        Block("p", f"报告编号：{report['report_id']}　签发时间：{report['issued_at']}"),
        Block("p", f"签发平台：{report['issuer']['platform']}（{report['issuer'].get('region_name_zh', '')}）"),
        Block("p", f"报送银行：{report['bank']['name']}（{report['bank']['code']}）"),
        Block(
            "p",
            f"授权：{report['consent']['id']}，范围 {report['consent']['scope']}，"
            f"有效至 {report['consent']['expires_at']}",
        ),
        Block("h2", "一、主体信息"),
        Block("table", rows=_identity(borrower)),
        Block("h2", "二、近三年碳排放与强度" if enterprise else "二、近三年减排量与减排强度"),
        _years(report, enterprise),
        Block("h2", "三、标签说明、同行位置与数据质量"),
    ]
    for y in report["years"]:
        label = y.get("label") or {}
        out.append(Block("p", f"{y['year']}：{label.get('name_zh') or '未贴标'} —— {label.get('reason_zh') or ''}"))
        if label.get("next_label_zh"):
            out.append(Block("small", f"升档条件：{label['next_label_zh']}"))
        out.append(Block("small", _peers(y, enterprise)))
        quality = y.get("data_quality_pct") if enterprise else y.get("data_quality")
        out.append(Block("small", f"数据质量（计量 / 申报 / 核查）：{_quality(quality)}"))
    out += [Block("h2", "四、已实现的减排"), _reductions(report, enterprise)]

    terms = report["terms"]
    offer = terms["base_offer"]
    out.append(Block("h2", "五、可享受的授信条件"))
    standings = "；".join(
        " ".join(str(part) for part in (s["account_type"], s.get("year"), s["name_zh"]) if part)
        for s in terms.get("standings", [])
    )
    out.append(Block("p", f"依据的标签：{standings or '无'}"))
    out.append(
        Block(
            "p",
            f"参考报价：利率 {offer['rate_bp']} bp，金额 {offer['amount_fen']} 分，期限 {offer['term_months']} 个月，"
            f"担保费 {offer['guarantee_fee_bp']} bp",
        )
    )
    out.append(
        Block(
            "p",
            f"适用条件：利率 {terms['rate_bp']} bp，额度 {terms['amount_fen']} 分，"
            f"担保费 {terms['guarantee_fee_bp']} bp，快速审批 {_t(terms['fast_track'])}，"
            f"可申请产品 {_t(terms['eligible_products'])}",
        )
    )
    if terms["adjustments"]:
        rows = [["调整事项", "调整前", "调整后", "规则", "依据"]]
        rows += [
            [
                f"{FIELDS_ZH.get(a['field'], a['field'])}：{a['reason_zh']}",
                _t(a["before"]),
                _t(a["after"]),
                _t(a["rule_id"]),
                _t(a.get("source")),
            ]
            for a in terms["adjustments"]
        ]
        out.append(Block("table", rows=rows, header=True))
    else:
        out.append(Block("p", "无调整：参考报价即适用条件"))
    out.append(Block("small", f"政策表：{terms['policy_id']}"))

    out.append(Block("h2", "六、平台签名（Ed25519）"))
    out += [
        Block("small", f"报告编号：{report['report_id']}"),
        Block("small", f"算法：{signature['algorithm']}　公钥编号：{signature['key_id']}"),
        Block("small", f"已签名 JSON 报告（规范化编码）的 SHA-256：{signature['sha256']}"),
        Block("small", f"签名：{signature['value']}"),
        Block(
            "p",
            "可核验的是已签名的 JSON 报告，而非本 PDF：PDF 仅供阅读。请向平台或银行索取 JSON 报告"
            f"（GET /api/v1/finance/reports/{report['report_id']}），取得平台公钥（GET {SIGNING_KEY_PATH}，无需登录），"
            "运行 greenfin finance verify 离线核验；核对上方 SHA-256 即可确认本 PDF 与该 JSON 对应。",
        ),
    ]
    return out


def text_of(envelope: dict[str, Any]) -> str:
    """All text the PDF prints, one block per line (for reading and tests)."""
    return "\n".join(" | ".join(b.strings()) for b in blocks(envelope))


def render_pdf(envelope: dict[str, Any], *, compress: bool = True) -> bytes:
    """The PDF bytes of a signed report envelope."""
    font = _font()
    # CJK wrapping breaks anywhere, so Chinese lines and long hashes or signatures stay on the page.
    styles = {
        "h1": ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6, wordWrap="CJK"),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=4, wordWrap="CJK"),
        "p": ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK"),
        "small": ParagraphStyle("small", fontName=font, fontSize=7, leading=9, wordWrap="CJK"),
    }
    story: list[Any] = []
    for block in blocks(envelope):
        if block.kind == "table":
            style = styles["small"] if block.header else styles["p"]
            widths = None if block.header else [45 * mm, 120 * mm]
            story.append(_table([[_para(c, style) for c in row] for row in block.rows], widths, header=block.header))
        else:
            story.append(_para(block.text, styles[block.kind]))
    report = envelope["report"]
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
        pageCompression=1 if compress else 0,
    )
    document.build(story)
    return buffer.getvalue()


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(rows: list[list[Any]], widths: list[float] | None, *, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f2ea")))
    table.setStyle(TableStyle(style))
    return table


__all__ = ["Block", "blocks", "render_pdf", "text_of"]
