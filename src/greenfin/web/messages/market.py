"""Messages of the financing platform (衢融通): matching reasons, states, reasons for refusal."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # matching: why a product fits
    "market.reason.kind_ok": ("面向{kind}借款人", "open to {kind} borrowers"),
    "market.reason.county_ok": ("所在区县在产品服务范围内", "your county is served"),
    "market.reason.industry_ok": ("所属行业（GB/T 4754）符合产品要求", "your industry (GB/T 4754) qualifies"),
    "market.reason.carbon_label_ok": ("工业碳账户标识为{label}，符合准入", "industrial carbon label {label} qualifies"),
    "market.reason.agricultural_label_ok": (
        "农业碳账户标识为{label}，符合准入",
        "agricultural carbon label {label} qualifies",
    ),
    "market.reason.personal_grade_ok": ("个人碳账户等级为{grade}，符合准入", "personal carbon grade {grade} qualifies"),
    "market.reason.green_use_ok": ("绿色用途类别 {code} 在支持范围内", "green use category {code} is financed"),
    "market.reason.rate": (
        "挂牌利率 {base}%，按碳账户政策调整后 {rate}%（{delta} 个基点）",
        "listed rate {base} %, {rate} % after the carbon terms ({delta} bp)",
    ),
    "market.reason.amount_fit": (
        "需求金额占产品最高额度的 {share}%",
        "the amount asked is {share} % of the product's maximum",
    ),
    "market.reason.term_fit": (
        "期限 {term} 个月，产品最长 {max} 个月",
        "term {term} months, the product's longest {max}",
    ),
    "market.reason.record": (
        "该行按时答复 {on_time} / {answered} 笔申请",
        "the bank answered {on_time} of {answered} applications on time",
    ),
    "market.reason.no_record": ("该行尚无答复记录", "the bank has no answer record yet"),
    # matching: why a product is excluded (shown when applying to it)
    "market.reason.x_kind": ("产品不面向该类借款人", "the product is not open to this kind of borrower"),
    "market.reason.x_county": ("所在区县不在产品服务范围内", "your county is not served"),
    "market.reason.x_industry": ("所属行业不符合产品要求", "your industry does not qualify"),
    "market.reason.x_carbon_label": ("工业碳账户标识不符合准入", "the industrial carbon label does not qualify"),
    "market.reason.x_agricultural_label": (
        "农业碳账户标识不符合准入",
        "the agricultural carbon label does not qualify",
    ),
    "market.reason.x_personal_grade": ("个人碳账户等级不符合准入", "the personal carbon grade does not qualify"),
    "market.reason.x_green_use": ("绿色用途类别不在支持范围内", "the green use category is not financed"),
    "market.reason.x_amount": ("需求金额超出产品额度范围", "the amount is outside the product's range"),
    "market.reason.x_term": ("需求期限超出产品期限范围", "the term is outside the product's range"),
    "market.reason.x_collateral": (
        "产品要求的担保方式与所提供的不符",
        "the product needs collateral you did not offer",
    ),
    # borrower kinds
    "market.kind.enterprise": ("企业", "enterprise"),
    "market.kind.farm": ("农业经营主体", "farm"),
    "market.kind.resident": ("个人", "resident"),
    # application states
    "market.state.submitted": ("已提交", "submitted"),
    "market.state.accepted": ("已受理", "accepted"),
    "market.state.approved": ("已审批通过", "approved"),
    "market.state.declined": ("未获批准", "declined"),
    "market.state.contracted": ("已签约", "contracted"),
    "market.state.disbursed": ("已放款", "disbursed"),
    "market.state.withdrawn": ("已撤回", "withdrawn"),
    "market.state.expired": ("已失效", "expired"),
    # reasons for refusal
    "market.decline.insufficient_cash_flow": ("经营现金流不足", "insufficient cash flow"),
    "market.decline.insufficient_collateral": ("担保或抵质押不足", "insufficient collateral"),
    "market.decline.credit_record": ("信用记录不良", "poor credit record"),
    "market.decline.outside_policy": ("不符合授信政策", "outside the bank's credit policy"),
    "market.decline.incomplete_documents": ("材料不全", "incomplete documents"),
    "market.decline.over_indebted": ("负债过高", "over-indebted"),
    "market.decline.other": ("其他原因", "other reason"),
    # five-class quality
    "market.quality.normal": ("正常", "normal"),
    "market.quality.special_mention": ("关注", "special mention"),
    "market.quality.substandard": ("次级", "substandard"),
    "market.quality.doubtful": ("可疑", "doubtful"),
    "market.quality.loss": ("损失", "loss"),
}
