"""The PDF carries what the page and the JSON carry (issue 4): checked on the text it lays out.

reportlab cannot read a PDF back and no PDF reader is installed, so the tests read
:func:`greenfin.finance.report.blocks` — the exact headings, paragraphs and table cells
:func:`render_pdf` lays out — and check that rendering them gives a PDF.

The hand-made enterprise envelope below holds two years; every expected string is written
out from it by hand (not from the code's output).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.finance.report import blocks, render_pdf, text_of
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
                    "peer_group": "水泥制造",
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
                    "rule_id": "330800/v1:industrial:light_green:rate",
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
        "六、平台签名（Ed25519）",
    ]
    # Identity and the years, with intensity.
    assert _has("测试水泥厂") and _has("衢江区（330803）") and _has("水泥制造（3011）")
    assert _has("2024 | 900.5 | 700.5 | 200 | 300 | 1.2345 | 0.5 | 浅绿")
    assert _has("2023 | 1000.5 | 800.5 | 200 | 330 | 1.3 | 0.55 | 未贴标")
    # Labels with explanation and the way up.
    assert _has("2024：浅绿 —— 强度低于同行基准") and _has("升档条件：强度再降 0.1 可升为深绿")
    # Position among peers: group, count, benchmark, K.
    assert _has("水泥制造，同行 12 家，基准 1.5 tCO2/万元（衢州 2023 同行中位数，口径 added_value），K = 0.823")
    assert _has("同行比较：无")  # 2023 has no label, hence no peer position
    # Data quality, metered / declared / audited.
    assert _has("数据质量（计量 / 申报 / 核查）：核查 25%，计量 75%")
    assert _has("数据质量（计量 / 申报 / 核查）：申报 100%")
    # Reductions achieved: 900.5 − 1000.5 = −100.0 t.
    assert _has("2024 | -100.0")


def test_terms_with_every_adjustment_traced() -> None:
    assert _has("依据的标签：industrial 2024 浅绿")
    assert _has("参考报价：利率 435 bp，金额 100000000 分，期限 12 个月，担保费 150 bp")
    assert _has("适用条件：利率 425 bp，额度 110000000 分，担保费 150 bp，快速审批 否，可申请产品 carbon_account_loan")
    assert _has("利率（bp）：浅绿标签利率下调 10 bp | 435 | 425 | 330800/v1:industrial:light_green:rate | 衢州政策表")
    assert _has("政策表：330800/v1")


def test_signature_section_names_the_verifiable_document() -> None:
    assert _has("报告编号：r-0001")
    assert _has("公钥编号：0123456789abcdef")
    assert _has(f"已签名 JSON 报告（规范化编码）的 SHA-256：{SHA}")
    last = _lines()[-1]
    assert "可核验的是已签名的 JSON 报告，而非本 PDF" in last
    assert "GET /api/v1/finance/signing-key" in last and "/api/v1/finance/reports/r-0001" in last


def test_the_blocks_render_to_a_pdf() -> None:
    pdf = render_pdf(ENVELOPE, compress=False)
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_a_farm_report_pdf_carries_quality_rank_and_terms(client: TestClient, session: Session) -> None:
    """The stored farm report (tests/finance/test_reports.py: 深绿, rank 1 of 1, 415 bp)."""
    ctx = setup_farm(session, client)
    _grant(client, ctx)
    envelope = _request(client, ctx).json()
    text = text_of(envelope)
    assert "2024 | 125793.703 | 125.794 |" in text
    assert "同行比较：同类经营主体中排第 1 名，共 1 家" in text
    assert "数据质量（计量 / 申报 / 核查）：" in text
    assert "2024 | 125793.703" in text.split("四、已实现的减排", 1)[1]
    assert "适用条件：利率 415 bp，额度 120000000 分，担保费 80 bp，快速审批 是" in text
    assert text.count("330800/v1:") == len(envelope["report"]["terms"]["adjustments"]) >= 3
    assert envelope["signature"]["sha256"] in text and envelope["signature"]["key_id"] in text
