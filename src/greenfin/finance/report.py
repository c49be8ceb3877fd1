"""The carbon credit report (碳征信报告) as PDF, drawn from the stored signed envelope.

The PDF is a rendering of the signed JSON, never a second source: every figure comes from
``envelope["report"]``. It carries what the page and the JSON carry — identity, three years
of emissions (or reductions) and intensity, labels with their explanations, position among
peers, data quality (metered / declared / audited), reductions achieved, the terms with
every traced adjustment — and closes with the report id, the key id, the SHA-256 of the
canonical signed JSON (as text and as a QR code) and the signature, and a line saying that
the signed JSON, not the PDF, is the verifiable document and where the public key is published.

It is written for a loan officer's credit file: the borrower by name (codes second), money
in 元 with thousands separators and its 万元 reading, rates in % to two places, figures
rounded to what they mean, the basis of every term as a sentence naming the policy table and
its version, times in 北京时间, and "第 n 页 共 m 页" on every page.

:func:`blocks` builds the content as plain text (headings, paragraphs, tables), so it can
be checked without reading a PDF back; :func:`render_pdf` only lays those blocks out.

Layout and fonts are ``greenfin.web.pdf``'s (an embedded CJK font, page numbers on every page).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from reportlab.lib.units import mm

from greenfin.errors import GreenfinError
from greenfin.finance.policy import ACCOUNT_NAMES, LABEL_NAMES, load_policy
from greenfin.web import pdf
from greenfin.web.formatting import beijing_time, grouped, money, quantity, rate_bp, unit_text, yuan_exact
from greenfin.web.pdf import Block

SIGNING_KEY_PATH = "/api/v1/finance/signing-key"
QUALITY_ZH = {"metered": "计量", "declared": "申报", "audited": "核查"}
BASIS_ZH = {"added_value": "工业增加值", "output": "工业总产值", "output_value": "工业总产值"}
PRACTICE_ZH = {
    "organic_fertiliser_substitution": "有机肥替代化肥",
    "straw_return": "秸秆还田",
    "biogas_project": "沼气工程",
}
FARM_TYPES_ZH = {
    "organic_fertiliser_producer": "有机肥生产企业",
    "pig_farm": "生猪养殖场",
    "grain_grower": "种粮大户",
    "cooperative": "农民专业合作社",
}
SCOPE_ZH = {"credit_report": "碳征信报告"}
LIMIT_NAMES_ZH = {
    "max_total_discount_bp": "叠加利率优惠上限",
    "rate_floor_bp": "利率下限",
    "max_credit_line_multiplier": "叠加授信额度倍数上限",
}
LIMIT_NAMES_EN = {
    "max_total_discount_bp": "cap on stacked rate discounts",
    "rate_floor_bp": "rate floor",
    "max_credit_line_multiplier": "cap on the stacked credit-line multiplier",
}
TENOR_ZH = {"1y": "1年期", "5y": "5年期以上"}
TENOR_EN = {"1y": "1-year", "5y": "over-5-year"}


def _t(value: Any) -> str:
    """A value as printed text: None as a dash, booleans in Chinese, lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_t(v) for v in value) or "无"
    return str(value)


def _num(value: Any, decimals: int | None = None) -> str:
    """A figure rounded to what it means: ``decimals`` places, or by size (0 from 1,000, 2 from 1, else 3)."""
    if value is None or value == "":
        return "—"
    return quantity(value) if decimals is None else grouped(value, decimals)


def _signed(value: Any, decimals: int = 2) -> str:
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    text = grouped(abs(number), decimals)
    return f"+{text}" if number > 0 else (f"−{text}" if number < 0 else text)


def _quality(value: Any) -> str:
    """Data quality as text: one kind (farm) or the share of records per kind (enterprise)."""
    if isinstance(value, dict):
        order = ("metered", "declared", "audited")
        parts = [f"{QUALITY_ZH.get(k, k)} {_num(value[k], 0)}%" for k in order if k in value]
        return "，".join(parts) or "—"
    return QUALITY_ZH.get(str(value), _t(value))


def _county(borrower: Mapping[str, Any]) -> str:
    name = borrower.get("county_name_zh") or ""
    code = borrower.get("county_code") or ""
    return f"{name}（{code}）" if name else _t(code)


def _identity(borrower: dict[str, Any]) -> list[list[str]]:
    rows = [["名称", _t(borrower.get("name"))]]
    if borrower["kind"] == "enterprise":
        industry = borrower.get("industry_name_zh") or ""
        return [
            *rows,
            ["统一社会信用代码", _t(borrower.get("uscc"))],
            ["所在区县", _county(borrower)],
            [
                "行业",
                f"{industry}（{borrower.get('industry_code')}）" if industry else _t(borrower.get("industry_code")),
            ],
        ]
    farm_type = borrower.get("farm_type_name_zh") or FARM_TYPES_ZH.get(str(borrower.get("farm_type")), "—")
    return [
        *rows,
        ["类型", farm_type],
        ["统一社会信用代码", _t(borrower.get("uscc"))],
        ["经营者身份证号（脱敏）", _t(borrower.get("holder_id_masked"))],
        ["所在区县 / 乡镇", f"{_county(borrower)} / {_t(borrower.get('township'))}"],
        ["面积（亩）/ 存栏（头）", f"{_num(borrower.get('area_mu'))} / {_num(borrower.get('herd_heads'), 0)}"],
    ]


def _years(report: dict[str, Any], enterprise: bool) -> Block:
    if enterprise:
        rows = [
            [
                "年度",
                "总排放（tCO₂）",
                "能源排放（tCO₂）",
                "过程排放（tCO₂）",
                "综合能耗（tce）",
                "强度（tCO₂/万元增加值）",
                "强度（tCO₂/万元产值）",
                "标签",
            ]
        ]
        for y in report["years"]:
            intensity = y.get("intensity") or {}
            rows.append(
                [
                    _t(y["year"]),
                    _num(y.get("total_co2_t")),
                    _num(y.get("energy_co2_t")),
                    _num(y.get("process_co2_t")),
                    _num(y.get("energy_tce")),
                    _num(intensity.get("added_value_t_per_wan"), 3),
                    _num(intensity.get("output_t_per_wan"), 3),
                    _t((y.get("label") or {}).get("name_zh") or "未贴标"),
                ]
            )
        return Block("table", rows=rows, header=True)
    rows = [["年度", "减排量（tCO₂e）", "减排强度", "分项减排（tCO₂e）", "标签"]]
    for y in report["years"]:
        practices = "；".join(
            f"{PRACTICE_ZH.get(p['practice'], p['practice'])} {_num(Decimal(str(p['co2e_kg'])) / 1000, 2)}"
            for p in y.get("by_practice") or []
        )
        reduction = y.get("reduction_co2e_kg")
        rows.append(
            [
                _t(y["year"]),
                _num(Decimal(str(reduction)) / 1000, 2) if reduction is not None else "—",
                f"{_num(y.get('reduction_intensity'), 3)} {unit_text(y.get('intensity_unit'))}",
                practices or "—",
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
    text = (
        f"同行比较：{peer_group_name(peers.get('peer_group'), 'zh')}同行 {_t(peers.get('peer_count'))} 家，"
        f"基准强度 {_num(peers.get('benchmark_t_per_wan'), 3)} tCO₂/万元"
        f"（按{BASIS_ZH.get(str(peers.get('basis')), '产值')}计），"
        f"本主体强度为基准的 {_num(peers.get('k_ratio'), 2)} 倍"
    )
    if peers.get("yoy_change_pct") not in (None, ""):
        text += f"，强度较上年 {_signed(peers.get('yoy_change_pct'), 1)}%"
    return text


def peer_group_name(code: Any, lang: str = "zh") -> str:
    """The industry a peer group's code prefix names ("26" → 化学原料和化学制品制造业（26）)."""
    from greenfin.industry.methodology import industry_name

    if not code:
        return "—"
    name = industry_name(str(code))
    return name.name_zh if lang == "zh" else name.name_en


def _reductions(report: dict[str, Any], enterprise: bool) -> Block:
    if enterprise:
        rows = [["年度", "总排放较上年变化（tCO₂）"]]
        rows += [[_t(r["year"]), _signed(r.get("total_co2_change_t"), 0)] for r in report.get("reductions") or []]
    else:
        rows = [["年度", "减排量（tCO₂e）"]]
        rows += [
            [_t(r["year"]), _num(Decimal(str(r.get("reduction_co2e_kg") or 0)) / 1000, 2)]
            for r in report.get("reductions") or []
        ]
    if len(rows) == 1:
        rows.append(["—", "无（缺少相邻两年数据）"])
    return Block("table", rows=rows, header=True)


# --- the basis of every term, as a sentence ---------------------------------------------------


@lru_cache(maxsize=32)
def _policy_title(policy_id: str, lang: str) -> str:
    """The policy table's title and version ("《衢州市碳账户金融差异化政策表 第1版》（330800/v1）")."""
    region, _, version = policy_id.partition("/")
    try:
        policy = load_policy(region, version or None)
    except GreenfinError:
        return f"《{policy_id}》" if lang == "zh" else policy_id
    if lang == "zh":
        return f"《{policy.title_zh}》（{policy_id}，{policy.effective_from} 起施行）"
    return f"“{policy.title_en}” ({policy_id}, in force from {policy.effective_from})"


def _bank_name(policy_id: str, bank_code: str, lang: str) -> str:
    region, _, version = policy_id.partition("/")
    try:
        bank = load_policy(region, version or None).banks.get(bank_code)
    except GreenfinError:
        bank = None
    if bank is None:
        return bank_code
    return bank.name_zh if lang == "zh" else bank.name_en


def rule_name(rule_id: str, lang: str = "zh") -> str:
    """A policy rule id ("330800/v1:cells.industrial.dark_green.rate_adjustment_bp") as a readable name."""
    policy_id, _, path = rule_id.partition(":")
    title = _policy_title(policy_id, lang)
    parts = path.split(".")
    if parts[0] in ("cells", "banks") and len(parts) >= 4:
        bank = parts[1] if parts[0] == "banks" else None
        account, label = (parts[2], parts[3]) if bank else (parts[1], parts[2])
        account_name = ACCOUNT_NAMES.get(account, (account, account))
        label_name = LABEL_NAMES.get(label, (label, label))
        if lang == "zh":
            cell = f"{account_name[0]}「{label_name[0]}」档"
            return f"{_bank_name(policy_id, bank, lang)}自定条款（依{title}）{cell}" if bank else f"{title}{cell}"
        cell = f"{account_name[1]}, {label_name[1]}"
        return f"{_bank_name(policy_id, bank, lang)}'s own terms under {title}, {cell}" if bank else f"{title}, {cell}"
    if parts[0] == "limits" and len(parts) == 2:
        if lang == "zh":
            return f"{title}区域{LIMIT_NAMES_ZH.get(parts[1], '限额')}"
        return f"{title}, regional {LIMIT_NAMES_EN.get(parts[1], 'limit')}"
    return title


def _products(codes: Any, names: Mapping[str, tuple[str, str]], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    index = 0 if lang == "zh" else 1
    return sep.join(names[c][index] if c in names else str(c) for c in codes or [])


def _change(a: Mapping[str, Any], products: Mapping[str, tuple[str, str]], lang: str) -> str:
    """What one adjustment did to its term, in words."""
    field_name, before, after = a["field"], a.get("before"), a.get("after")
    zh = lang == "zh"
    if field_name in ("rate_bp", "guarantee_fee_bp"):
        what = (
            ("利率" if field_name == "rate_bp" else "担保费率")
            if zh
            else ("rate" if field_name == "rate_bp" else "guarantee fee")
        )
        step = Decimal(str(after)) - Decimal(str(before))
        points = grouped(abs(step) / 100, 2)
        if zh:
            move = "下调" if step < 0 else "上调"
            return f"{what}由 {rate_bp(before)} 调整为 {rate_bp(after)}（{move} {points} 个百分点）"
        sign = "−" if step < 0 else "+"
        return f"{what} from {rate_bp(before)} to {rate_bp(after)} ({sign}{points} percentage points)"
    if field_name == "amount_fen":
        if zh:
            return f"授信额度由 {money(before)} 调整为 {money(after)}"
        return f"credit line from {money(before, 'en')} to {money(after, 'en')}"
    if field_name == "fast_track":
        if zh:
            return "适用绿色快速审批通道" if after else "不适用快速审批通道"
        return "fast-track approval" if after else "no fast-track approval"
    if field_name == "eligible_products":
        added = [c for c in after or [] if c not in (before or [])]
        removed = [c for c in before or [] if c not in (after or [])]
        parts = []
        if added:
            parts.append(("可申请 " if zh else "eligible for ") + _products(added, products, lang))
        if removed:
            parts.append(("不得申请 " if zh else "excluded from ") + _products(removed, products, lang))
        return ("；" if zh else "; ").join(parts) or ("可申请产品不变" if zh else "eligible products unchanged")
    return f"{before} → {after}"


def basis_sentence(adjustment: Any, products: Mapping[str, tuple[str, str]], lang: str = "zh") -> str:
    """The basis of one traced term change (a signed report's dict, or an ``AdjustmentRead``):
    the rule's name and version, then what it changed."""
    if not isinstance(adjustment, Mapping):
        adjustment = adjustment.model_dump()
    name = rule_name(str(adjustment["rule_id"]), lang)
    change = _change(adjustment, products, lang)
    return f"依据{name}：{change}。" if lang == "zh" else f"Under {name}: {change}."


def reference_rate_sentence(report: Mapping[str, Any], lang: str = "zh") -> str | None:
    """How the base rate reads against the LPR in force at issue (1年期 LPR 3.00% 加 0.80 个百分点)."""
    ref = report.get("reference_rate")
    if not ref:
        return None
    spread = Decimal(str(ref["spread_bp"]))
    points = grouped(abs(spread) / 100, 2)
    if lang == "zh":
        move = "加" if spread >= 0 else "减"
        return (
            f"基础利率以签发时适用的{TENOR_ZH.get(ref['tenor'], '')}贷款市场报价利率（LPR）"
            f" {rate_bp(ref['lpr_bp'])}（{ref['published']} 公布）为基准，{move} {points} 个百分点。"
        )
    sign = "+" if spread >= 0 else "−"
    return (
        f"The base rate is the {TENOR_EN.get(ref['tenor'], '')} loan prime rate (LPR) in force at issue, "
        f"{rate_bp(ref['lpr_bp'])} (published {ref['published']}), {sign}{points} percentage points."
    )


def product_names() -> dict[str, tuple[str, str]]:
    """Names of the region policy's loan products (code → zh, en)."""
    return {code: (p.name_zh, p.name_en) for code, p in load_policy().products.items()}


def standing_text(s: Mapping[str, Any]) -> str:
    """A label or grade a borrower holds, in words: 农业碳账户 2024 年「深绿」."""
    account = ACCOUNT_NAMES.get(str(s["account_type"]), (s["account_type"], ""))[0]
    year = f" {s['year']} 年" if s.get("year") else ""
    return f"{account}{year}「{s['name_zh']}」"


SOURCE_KIND_ZH = {
    "energy": "能耗",
    "process": "工艺排放",
    "annual": "年度经营数据",
    "baseline": "基线",
    "records": "实践记录",
}
QUALITY_ZH = {"declared": "申报", "metered": "计量", "audited": "核查"}


def provenance_lines(year: Mapping[str, Any]) -> list[str]:
    """What a year's figures rest on (each import: kind, authority, who, when) and its open conflicts, in words."""
    lines = []
    for source in year.get("sources") or []:
        who = source.get("organisation_code") or (source.get("imported_by") or "—").split(":", 1)[-1]
        when = beijing_time(source["imported_at"]) if source.get("imported_at") else "—"
        lines.append(
            f"数据来源：{SOURCE_KIND_ZH.get(source['kind'], source['kind'])} {source['rows']} 条，"
            f"{QUALITY_ZH.get(source['data_quality'], source['data_quality'])}，由 {who} 于 {when} 导入"
            f"（导入批次 {source.get('import_id') or '—'}）"
        )
    if "conflicts" not in year:  # a report issued before reports stated their conflicts
        return lines
    conflicts = year["conflicts"]
    if not conflicts:
        lines.append("待裁决的数据冲突：无")
    for c in conflicts:
        item = c.get("item_name_zh") or SOURCE_KIND_ZH.get(c["kind"], c["kind"])
        if c.get("month"):
            item = f"{item}（{c['month']}月）"
        who = (c.get("held_by") or "—").split(":", 1)[-1]
        when = beijing_time(c["held_at"]) if c.get("held_at") else "—"
        lines.append(
            f"待裁决的数据冲突：{item}，{who} 于 {when} 报送的"
            f"{QUALITY_ZH.get(c['held_quality'], c['held_quality'])}数据与在用的"
            f"{QUALITY_ZH.get(c.get('current_quality') or '', '—')}数据不一致，未计入本报告，待监管部门裁决"
        )
    return lines


def blocks(envelope: dict[str, Any]) -> list[Block]:
    """The content of the PDF, in order, as plain text (what :func:`render_pdf` lays out)."""
    report = envelope["report"]
    signature = envelope["signature"]
    borrower = report["borrower"]
    enterprise = borrower["kind"] == "enterprise"
    consent = report["consent"]
    bank = report["bank"]
    out: list[Block] = [
        Block("h1", f"碳征信报告：{_t(borrower.get('name'))}"),
        Block("p", f"签发时间：{beijing_time(report['issued_at'])}　报告编号：{report['report_id']}"),
        Block("p", f"签发平台：{report['issuer']['platform']}（{report['issuer'].get('region_name_zh', '')}）"),
        Block("p", f"报送银行：{bank['name']}（{bank['code']}）"),
        Block(
            "p",
            f"授权：借款人授权该行查询{SCOPE_ZH.get(consent['scope'], '碳征信报告')}，"
            f"有效至 {beijing_time(consent['expires_at'])}（授权编号 {consent['id']}）",
        ),
        Block("h2", "一、主体信息"),
        Block("table", rows=_identity(borrower)),
        Block("h2", "二、近三年碳排放与强度" if enterprise else "二、近三年减排量与减排强度"),
        _years(report, enterprise),
        Block("h2", "三、标签说明、同行位置与数据质量"),
    ]
    for y in report["years"]:
        label = y.get("label") or {}
        reason = label.get("reason_zh") or ("当年未贴标" if not label else "—")
        out.append(Block("p", f"{y['year']} 年：{label.get('name_zh') or '未贴标'} —— {reason}"))
        if label.get("next_label_zh"):
            out.append(Block("small", f"升档条件：{label['next_label_zh']}"))
        out.append(Block("small", _peers(y, enterprise)))
        quality = y.get("data_quality_pct") if enterprise else y.get("data_quality")
        out.append(Block("small", f"数据质量（计量 / 申报 / 核查）：{_quality(quality)}"))
        out += [Block("small", line) for line in provenance_lines(y)]
    out += [Block("h2", "四、已实现的减排"), _reductions(report, enterprise)]

    terms = report["terms"]
    offer = terms["base_offer"]
    products = product_names()
    out.append(Block("h2", "五、可享受的授信条件"))
    standings = "；".join(standing_text(s) for s in terms.get("standings", []))
    out.append(Block("p", f"依据的标签：{standings or '无'}"))
    out.append(
        Block(
            "p",
            f"基础报价：年利率 {rate_bp(offer['rate_bp'])}，金额 {yuan_exact(offer['amount_fen'])}，"
            f"期限 {offer['term_months']} 个月，担保费率 {rate_bp(offer['guarantee_fee_bp'])}",
        )
    )
    reference = reference_rate_sentence(report)
    if reference:
        out.append(Block("small", reference))
    rows = [
        ["项目", "基础报价", "适用条件"],
        ["年利率", rate_bp(offer["rate_bp"]), rate_bp(terms["rate_bp"])],
        ["授信额度", yuan_exact(offer["amount_fen"]), yuan_exact(terms["amount_fen"])],
        ["担保费率", rate_bp(offer["guarantee_fee_bp"]), rate_bp(terms["guarantee_fee_bp"])],
        ["期限", f"{offer['term_months']} 个月", f"{terms.get('term_months', offer['term_months'])} 个月"],
        ["快速审批", "—", _t(terms["fast_track"])],
        ["可申请产品", "—", _products(terms["eligible_products"], products, "zh") or "无"],
    ]
    out.append(Block("table", rows=rows, header=True))
    out.append(Block("p", "各项调整及其依据："))
    if terms["adjustments"]:
        for i, a in enumerate(terms["adjustments"], start=1):
            out.append(Block("small", f"{i}. {basis_sentence(a, products, 'zh')}"))
    else:
        out.append(Block("small", "无调整：基础报价即适用条件。"))
    out.append(Block("small", f"政策表：{_policy_title(str(terms['policy_id']), 'zh')}"))

    out.append(Block("h2", "六、平台签名与核验"))
    out += [
        Block("small", f"报告编号：{report['report_id']}"),
        Block("small", f"签名算法：{signature['algorithm']}　公钥编号：{signature['key_id']}"),
        Block("small", f"已签名 JSON 报告（规范化编码）的 SHA-256：{signature['sha256']}"),
        Block("qr", qr_payload(envelope)),
        Block("small", f"签名：{signature['value']}"),
        Block(
            "p",
            "可核验的是已签名的 JSON 报告，而非本 PDF：PDF 仅供阅读。请向平台或银行索取 JSON 报告"
            f"（GET /api/v1/finance/reports/{report['report_id']}），取得平台公钥（GET {SIGNING_KEY_PATH}，无需登录），"
            "运行 greenfin finance verify 离线核验；扫描上方二维码或核对 SHA-256 即可确认本 PDF 与该 JSON 对应。",
        ),
    ]
    return out


def qr_payload(envelope: Mapping[str, Any]) -> str:
    """What the QR code holds: the report id and the SHA-256 of its signed JSON."""
    return f"greenfin-report:{envelope['report']['report_id']};sha256={envelope['signature']['sha256']}"


def text_of(envelope: dict[str, Any]) -> str:
    """All text the PDF prints, one block per line (for reading and tests)."""
    return pdf.text_of(blocks(envelope))


def _widths(block: Block, width: float) -> list[float]:
    """The year column of a yearly table needs little room; other tables as ``pdf`` lays them out."""
    columns = len(block.rows[0]) if block.rows else 1
    if block.header and block.rows and block.rows[0][0] == "年度" and columns > 2:
        return [14 * mm] + [(width - 14 * mm) / (columns - 1)] * (columns - 1)
    if not block.header:
        return [45 * mm, width - 45 * mm]
    return [width / columns] * columns


def render_pdf(envelope: dict[str, Any], *, compress: bool = True) -> bytes:
    """The PDF bytes of a signed report envelope."""
    report_id = str(envelope["report"]["report_id"])
    return pdf.render(
        blocks(envelope), title=f"碳征信报告 {report_id}", footer=f"碳征信报告 {report_id}", widths=_widths,
        compress=compress,
    )  # fmt: skip


__all__ = [
    "Block",
    "basis_sentence",
    "blocks",
    "peer_group_name",
    "product_names",
    "reference_rate_sentence",
    "render_pdf",
    "rule_name",
    "text_of",
]
