"""The PDF carries what the page and the JSON carry (issues 4 and 12), written for a credit file.

The tests read :func:`greenfin.finance.report.blocks` — the exact headings, paragraphs and
table cells :func:`render_pdf` lays out — and then the PDF itself: its text extracted with
pypdf, every font that prints a glyph embedded and holding that glyph, and every page
rendered to PNG by poppler's ``pdftoppm``.

The hand-made enterprise envelope below holds two years; every expected string is written
out from it by hand (not from the code's output).
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont
from sqlalchemy.orm import Session

from greenfin.finance.report import blocks, render_pdf, text_of
from greenfin.web.pdf import font_embedded
from greenfin.web.pdf import font_file as _font_file
from tests.finance.test_reports import _grant, _request, setup_farm

SHA = "ab" * 32
ENVELOPE = {
    "report": {
        "schema": "greenfin.carbon-credit-report/2",
        "report_id": "r-0001",
        "issued_at": "2025-03-01T00:00:00+00:00",
        "issuer": {"platform": "greenfin", "region": "330800", "region_name_zh": "衢州市"},
        "bank": {"code": "BANK1", "name": "测试农商银行"},
        "consent": {"id": "c-1", "scope": "credit_report", "expires_at": "2026-03-01T00:00:00+00:00"},
        "borrower": {
            "kind": "enterprise",
            "ref": "U1",
            "uscc": "U1",
            "name": "测试水泥厂",
            "county_code": "330803",
            "county_name_zh": "衢江区",
            "industry_code": "3011",
            "industry_name_zh": "水泥制造",
        },
        "years": [
            {
                "year": 2024,
                "total_co2_t": "900.5",
                "energy_co2_t": "700.5",
                "process_co2_t": "200",
                "energy_tce": "300",
                "intensity": {"added_value_t_per_wan": "1.2345", "output_t_per_wan": "0.5"},
                "data_quality_pct": {"audited": "25", "metered": "75"},
                "label": {
                    "code": "light_green",
                    "name_zh": "浅绿",
                    "reason_zh": "强度低于同行基准",
                    "next_label_zh": "强度再降 0.1 可升为深绿",
                },
                "peers": {
                    "basis": "added_value",
                    "peer_group": "3011",
                    "peer_count": 12,
                    "benchmark_t_per_wan": "1.5",
                    "benchmark_source": "衢州 2023 同行中位数",
                    "k_ratio": "0.823",
                    "yoy_change_pct": "-5.0",
                },
            },
            {
                "year": 2023,
                "total_co2_t": "1000.5",
                "energy_co2_t": "800.5",
                "process_co2_t": "200",
                "energy_tce": "330",
                "intensity": {"added_value_t_per_wan": "1.3", "output_t_per_wan": "0.55"},
                "data_quality_pct": {"declared": "100"},
                "label": None,
                "peers": None,
            },
        ],
        "reductions": [{"year": 2024, "total_co2_change_t": "-100.0"}],
        "terms": {
            "standings": [{"account_type": "industrial", "label_code": "light_green", "name_zh": "浅绿", "year": 2024}],
            "base_offer": {"rate_bp": 435, "amount_fen": 100_000_000, "term_months": 12, "guarantee_fee_bp": 150},
            "rate_bp": 425,
            "amount_fen": 110_000_000,
            "guarantee_fee_bp": 150,
            "fast_track": False,
            "eligible_products": ["carbon_account_loan"],
            "adjustments": [
                {
                    "rule_id": "330800/v1:cells.industrial.light_green.rate_adjustment_bp",
                    "field": "rate_bp",
                    "before": 435,
                    "after": 425,
                    "reason_zh": "浅绿标签利率下调 10 bp",
                    "source": "衢州政策表",
                }
            ],
            "policy_id": "330800/v1",
        },
    },
    "signature": {"algorithm": "Ed25519", "key_id": "0123456789abcdef", "sha256": SHA, "value": "c2ln"},
}


def _lines() -> list[str]:
    return text_of(ENVELOPE).splitlines()


def _has(fragment: str) -> bool:
    return any(fragment in line for line in _lines())


def test_every_section_of_the_page_is_in_the_pdf() -> None:
    headings = [b.text for b in blocks(ENVELOPE) if b.kind == "h2"]
    assert headings == [
        "一、主体信息",
        "二、近三年碳排放与强度",
        "三、标签说明、同行位置与数据质量",
        "四、已实现的减排",
        "五、可享受的授信条件",
        "六、平台签名与核验",
    ]
    assert _lines()[0] == "碳征信报告：测试水泥厂"  # the borrower by name, first
    # 2025-03-01T00:00:00+00:00 is 08:00 in Beijing.
    assert _has("签发时间：2025-03-01 08:00 北京时间")
    assert _has("有效至 2026-03-01 08:00 北京时间")
    assert _has("衢江区（330803）") and _has("水泥制造（3011）")
    # Rounded: 900.5 below 1,000 keeps two places; 1000.5 rounds half-up to 1,001; intensities three places.
    assert _has("2024 | 900.50 | 700.50 | 200.00 | 300.00 | 1.235 | 0.500 | 浅绿")
    assert _has("2023 | 1,001 | 800.50 | 200.00 | 330.00 | 1.300 | 0.550 | 未贴标")
    assert _has("2024 年：浅绿 —— 强度低于同行基准") and _has("升档条件：强度再降 0.1 可升为深绿")
    # The peer group's code prefix 3011 is named; K = 0.823 reads 0.82; the yoy change with its sign.
    assert _has(
        "同行比较：水泥制造同行 12 家，基准强度 1.500 tCO₂/万元（按工业增加值计），本主体强度为基准的 0.82 倍，"
        "强度较上年 −5.0%"
    )
    assert _has("同行比较：无")  # 2023 has no label, hence no peer position
    assert _has("数据质量（计量 / 申报 / 核查）：计量 75%，核查 25%")
    assert _has("数据质量（计量 / 申报 / 核查）：申报 100%")
    assert _has("2024 | −100")  # 900.5 − 1000.5 t


def test_terms_in_yuan_and_percent_with_every_basis_a_sentence() -> None:
    assert _has("依据的标签：工业碳账户 2024 年「浅绿」")
    assert _has("基础报价：年利率 4.35%，金额 1,000,000.00 元（100.00 万元），期限 12 个月，担保费率 1.50%")
    assert _has("年利率 | 4.35% | 4.25%")
    assert _has("授信额度 | 1,000,000.00 元（100.00 万元） | 1,100,000.00 元（110.00 万元）")
    assert _has("可申请产品 | — | 碳账户贷")
    assert _has(
        "1. 依据《衢州市碳账户金融差异化政策表 第1版》（330800/v1，2021-07-23 起施行）工业碳账户「浅绿」档："
        "利率由 4.35% 调整为 4.25%（下调 0.10 个百分点）。"
    )
    text = text_of(ENVELOPE)
    assert "bp" not in text and "cells." not in text and "light_green" not in text


def test_signature_section_names_the_verifiable_document() -> None:
    assert _has("报告编号：r-0001")
    assert _has("公钥编号：0123456789abcdef")
    assert _has(f"已签名 JSON 报告（规范化编码）的 SHA-256：{SHA}")
    assert [b.text for b in blocks(ENVELOPE) if b.kind == "qr"] == [f"greenfin-report:r-0001;sha256={SHA}"]
    last = _lines()[-1]
    assert "可核验的是已签名的 JSON 报告，而非本 PDF" in last
    assert "GET /api/v1/finance/signing-key" in last and "/api/v1/finance/reports/r-0001" in last


def _pdf_text(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def _glyph_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(base font, embedded?) of every font that prints at least one character."""
    used: dict[str, bool] = {}

    def visit(text: str, _cm: Any, _tm: Any, font: Any, _size: Any) -> None:
        if text.strip() and font is not None:
            descriptor = font.get("/FontDescriptor") or {}
            descendants = font.get("/DescendantFonts")
            if descendants:
                descriptor = descendants[0].get_object().get("/FontDescriptor") or {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            used[str(font.get("/BaseFont"))] = embedded

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return sorted(used.items())


def test_the_pdf_reads_as_a_credit_file_and_every_glyph_prints(tmp_path: Path) -> None:
    assert font_embedded(), "install fonts-wqy-microhei (make chromium) so the PDF embeds its CJK font"
    pdf = render_pdf(ENVELOPE)
    text, pages = _pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)
    assert "测试水泥厂" in flat and "1,000,000.00元" in flat and "4.35%" in flat and "北京时间" in flat
    assert not re.search(r"\bbp\b", text) and not re.search(r"\d\s*分", text)  # no basis points, no fen
    assert not re.search(r"\b[a-z]+(?:_[a-z]+)+\b", text)  # no internal keys
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    fonts = _glyph_fonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    # Every character the report prints has a glyph in the embedded font (none falls to .notdef).
    face = TTFont("check", _font_file(), subfontIndex=0).face
    printed = {c for line in _lines() for c in line if not c.isspace()}
    assert {c for c in printed if ord(c) not in face.charToGlyph} == set()
    # Every page renders (poppler): one PNG per page, none blank.
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages >= 1
    assert all(image.stat().st_size > 2_000 for image in images)


def test_a_farm_report_pdf_carries_quality_rank_and_terms(client: TestClient, session: Session) -> None:
    """The stored farm report (tests/finance/test_reports.py: 深绿, rank 1 of 1, 360 bp on LPR + 0.80)."""
    ctx = setup_farm(session, client)
    _grant(client, ctx)
    envelope = _request(client, ctx).json()
    text = text_of(envelope)
    # 125,793.703 kg = 125.79 t; 125.794 kg CO₂e per head.
    assert "2024 | 125.79 | 125.794 kg CO₂e/头 |" in text
    assert "同行比较：同类经营主体中排第 1 名，共 1 家" in text
    assert "数据质量（计量 / 申报 / 核查）：" in text
    assert "2024 | 125.79" in text.split("四、已实现的减排", 1)[1]
    assert "年利率 | 3.80% | 3.60%" in text
    assert "授信额度 | 1,000,000.00 元（100.00 万元） | 1,200,000.00 元（120.00 万元）" in text
    assert "担保费率 | 1.00% | 0.80%" in text and "快速审批 | — | 是" in text
    lpr = "基础利率以签发时适用的1年期贷款市场报价利率（LPR） 3.00%（2025-05-20 公布）为基准，加 0.80 个百分点。"
    assert lpr in text
    adjustments = envelope["report"]["terms"]["adjustments"]
    assert text.count("依据《衢州市碳账户金融差异化政策表 第1版》") == len(adjustments) >= 3
    assert envelope["signature"]["sha256"] in text and envelope["signature"]["key_id"] in text
    pdf_text, _ = _pdf_text(render_pdf(envelope))
    assert "衢江区测试生猪养殖场" in re.sub(r"\s+", "", pdf_text)
