"""Messages of the green-finance statistics: figures, benefit indicators, PCAF terms, catalogues."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.stats": ("绿色金融统计", "Green-finance statistics"),
    # figures of a period (docs/methodology/stats.md §2)
    "stats.green_balance": ("绿色贷款余额（本外币）", "Green-loan balance (RMB and foreign currency)"),
    "stats.all_balance": ("各项贷款余额（本外币）", "All-loan balance (RMB and foreign currency)"),
    "stats.share": ("绿色贷款占各项贷款比重", "Share of green loans in all loans"),
    "stats.yoy_growth": ("同比增速", "Year-on-year growth"),
    "stats.ytd_growth": ("较年初增速", "Growth since the start of the year"),
    "stats.growth_vs_base": ("较基期增长", "Growth against the base date"),
    "stats.multiple_of_base": ("为基期的 {times} 倍", "{times} times the base date"),
    "stats.points_above_all": (
        "高于各项贷款增速 {points} 个百分点",
        "{points} percentage points above the growth of all loans",
    ),
    "stats.points_below_all": (
        "低于各项贷款增速 {points} 个百分点",
        "{points} percentage points below the growth of all loans",
    ),
    "stats.as_of": ("统计时点", "As of"),
    "stats.base_date": ("基期", "Base date"),
    "stats.quarterly_series": ("季度序列", "Quarterly series"),
    "stats.unit_yi": ("亿元", "100 million yuan"),
    "stats.unit_wan": ("万元", "10,000 yuan"),
    "stats.not_available": ("无可比数据", "No comparable figure"),
    # dimensions
    "stats.by_category": ("按用途", "By use"),
    "stats.by_bank": ("按机构", "By bank"),
    "stats.by_county": ("按县（市、区）", "By county"),
    "stats.by_borrower_kind": ("按借款人类型", "By borrower kind"),
    "stats.by_industry": ("按行业", "By industry"),
    "stats.by_quality": ("按五级分类", "By five-class quality"),
    "stats.quality.normal": ("正常", "Normal"),
    "stats.quality.special_mention": ("关注", "Special mention"),
    "stats.quality.substandard": ("次级", "Substandard"),
    "stats.quality.doubtful": ("可疑", "Doubtful"),
    "stats.quality.loss": ("损失", "Loss"),
    # environmental benefits, seven indicators (tonnes a year)
    "stats.benefit.standard_coal_t": ("节约标准煤（吨）", "Standard coal saved (t)"),
    "stats.benefit.co2e_t": ("减排二氧化碳当量（吨）", "CO2e reduced (t)"),
    "stats.benefit.cod_t": ("减排化学需氧量（吨）", "COD reduced (t)"),
    "stats.benefit.ammonia_nitrogen_t": ("减排氨氮（吨）", "Ammonia nitrogen reduced (t)"),
    "stats.benefit.so2_t": ("减排二氧化硫（吨）", "SO2 reduced (t)"),
    "stats.benefit.nox_t": ("减排氮氧化物（吨）", "NOx reduced (t)"),
    "stats.benefit.water_t": ("节水（吨）", "Water saved (t)"),
    "stats.benefit.rule": (
        "按贷款占项目总投资的比例折算",
        "Attributed by the loan's share of the project's total investment",
    ),
    # financed emissions (PCAF Part A, 2nd edition)
    "stats.pcaf.method": ("PCAF 金融业温室气体核算和报告标准（A 部分，第二版）", "PCAF Part A, 2nd edition"),
    "stats.pcaf.business_loan": ("企业贷款和非上市股权", "Business loans and unlisted equity"),
    "stats.pcaf.listed_equity": ("上市股权", "Listed equity"),
    "stats.pcaf.corporate_bond": ("公司债券", "Corporate bonds"),
    "stats.pcaf.project_finance": ("项目融资", "Project finance"),
    "stats.pcaf.commercial_real_estate": ("商业地产", "Commercial real estate"),
    "stats.pcaf.mortgage": ("住房按揭贷款", "Mortgages"),
    "stats.pcaf.motor_vehicle": ("机动车贷款", "Motor-vehicle loans"),
    "stats.pcaf.attribution_factor": ("归因系数", "Attribution factor"),
    "stats.pcaf.capped": ("归因系数超过 1，按 1 计", "Attribution factor above 1, counted as 1"),
    "stats.pcaf.scope1": ("范围一排放（吨二氧化碳当量）", "Scope 1 emissions (tCO2e)"),
    "stats.pcaf.scope2": ("范围二排放（吨二氧化碳当量）", "Scope 2 emissions (tCO2e)"),
    "stats.pcaf.scope3": ("范围三排放（吨二氧化碳当量）", "Scope 3 emissions (tCO2e)"),
    "stats.pcaf.removals": ("碳移除（吨二氧化碳）", "Emission removals (tCO2)"),
    "stats.pcaf.data_quality": ("数据质量评分（1 最好，5 最差）", "Data-quality score (1 best, 5 worst)"),
    "stats.pcaf.weighted_data_quality": ("按余额加权的数据质量评分", "Data-quality score weighted by outstanding"),
    "stats.pcaf.pboc_method": (
        "人民银行口径：贷款 ÷ 项目总投资",
        "PBoC method: loan ÷ the project's total investment",
    ),
    # green use catalogues
    "stats.catalogue.gic-2019": ("绿色产业指导目录（2019年版）", "Green Industry Guidance Catalogue (2019)"),
    "stats.catalogue.glt-2024": (
        "绿色低碳转型产业指导目录（2024年版）",
        "Green and Low-Carbon Transition Industry Guidance Catalogue (2024)",
    ),
    "stats.catalogue.gfs-2025": (
        "绿色金融支持项目目录（2025年版）",
        "Green Finance Supported Projects Catalogue (2025)",
    ),
    "stats.catalogue.relation.exact": ("范围相同", "Same scope"),
    "stats.catalogue.relation.broader": ("对应类别范围更宽", "The counterpart is broader"),
    "stats.catalogue.relation.narrower": ("对应类别范围更窄", "The counterpart is narrower"),
    "stats.catalogue.relation.overlap": ("范围部分重合", "Scopes overlap"),
    "stats.confidence.H": ("官方文本", "Official text"),
    "stats.confidence.M": ("单一来源", "One secondary source"),
    "stats.confidence.L": ("待核实", "To be checked"),
    # PBoC green-finance evaluation
    "stats.evaluation.title": ("银行业金融机构绿色金融评价", "Green-finance evaluation of banks"),
    "stats.evaluation.green_share": ("绿色金融业务总额占比", "Green business as a share of the bank's business"),
    "stats.evaluation.market_share": ("绿色金融业务总额份额占比", "The bank's share of the region's green business"),
    "stats.evaluation.yoy_growth": ("绿色金融业务总额同比增速", "Year-on-year growth of green business"),
    "stats.evaluation.risk_share": ("绿色金融风险总额占比", "Non-performing share of green business"),
    # the pages
    "stats.dashboard": ("绿色金融统计", "Green-finance statistics"),
    "stats.dashboard_lead": (
        "绿色贷款余额、占比与增速，按县（市、区）、机构、用途、借款人类型和五级分类；季度序列。",
        "Green-loan balance, share and growth by county, bank, use, borrower kind and quality; the quarterly series.",
    ),
    "stats.region": ("全市", "Whole region"),
    "stats.catalogue": ("用途分类目录", "Catalogue of uses"),
    "stats.no_book": ("贷款台账中尚无月末余额。", "The loan book holds no month-end balance yet."),
    "stats.headline": ("主要指标", "Headline figures"),
    "stats.as_of_value": ("截至 {day}", "as of {day}"),
    "stats.all_loans_growth": ("各项贷款 {growth}", "all loans {growth}"),
    "stats.vs_base": ("较 {day}", "Against {day}"),
    "stats.times": ("{times} 倍", "{times} times"),
    "stats.base_balance": ("基期余额 {amount}", "base balance {amount}"),
    "stats.facts": ("绿色金融事业部 / 试点银行", "Green-finance divisions / pilot banks"),
    "stats.facts_note": ("登记在册（统计时点）", "registered on the day"),
    "stats.share_of_green": ("占绿色贷款", "Share of green loans"),
    "stats.points_above_all_short": ("高于各项贷款增速（百分点）", "Points above all loans' growth"),
    "stats.method_note": (
        "口径：人民银行绿色贷款专项统计制度（银发〔2019〕326号），本外币；余额为月末数，增速为同比与较年初；"
        "用途按所选目录版本，其他版本的贷款经目录对照计入。",
        "Definitions: the PBoC green-loan special statistics (银发〔2019〕326号), RMB and foreign currency; "
        "month-end balances, year-on-year and year-to-date growth; uses in the chosen catalogue, loans classified "
        "under other versions counted through the catalogue mappings.",
    ),
    "stats.not_recorded": ("未登记", "Not recorded"),
    "stats.unmapped": ("目录间无对应类别", "No counterpart in this catalogue"),
    "stats.borrower_kind.enterprise": ("企业", "Enterprises"),
    "stats.borrower_kind.farm": ("农业经营主体", "Farms"),
    "stats.borrower_kind.resident": ("个人", "Residents"),
    "stats.quarter": ("季末", "Quarter-end"),
    "stats.evaluation.document": (
        "银发〔2021〕142号《银行业金融机构绿色金融评价方案》定量指标",
        "Quantitative indicators of the PBoC evaluation (银发〔2021〕142号)",
    ),
    "stats.evaluation.lead": (
        "各银行的绿色金融业务占比、份额占比、同比增速和风险占比，由贷款台账按季计算。",
        "Each bank's green share, share of the region, growth and non-performing share, from the loan book, "
        "per quarter.",
    ),
    "stats.evaluation.quarter_value": ("{day} 季末", "Quarter ending {day}"),
    "stats.evaluation.green_business": ("绿色金融业务总额", "Green business"),
    "stats.evaluation.weight": ("权重 {weight}%", "weight {weight}%"),
    "stats.evaluation.note": (
        "定量指标合计占评价的 {weight}%。四项指标的计算公式与权重分配未见公开文本，此处按指标名称解读并等分权重"
        "（数据文件 evaluation/v1，可由监管部门替换）；绿色金融业务暂以绿色贷款计。评分规则未公开，本页只列指标值。",
        "The quantitative part weighs {weight}% of the evaluation. The four formulas and the split of that weight "
        "are not published: they are read from the indicator names and split equally (data file evaluation/v1, "
        "replaceable by the regulator); green business counts green loans for now. The scoring rule is not "
        "published: this page lists the indicators only.",
    ),
    # the environmental-information disclosure (JR/T 0227—2021)
    "disclosure.page_title": ("环境信息披露报告", "Environmental-information disclosure"),
    "disclosure.report_title": ("{bank} {year} 年度环境信息披露报告", "{bank}: environmental disclosure {year}"),
    "disclosure.basis": (
        "编制依据：{document}《{title}》。数据类章节由 greenfin 按本行贷款台账生成，其余章节为本行撰写。",
        "Basis: {document} ({title}). The data sections are generated by greenfin from the bank's loan book; "
        "the others are the bank's own text.",
    ),
    "disclosure.year": ("报告年度", "Year"),
    "disclosure.bank": ("机构", "Bank"),
    "disclosure.pdf": ("下载 PDF", "Download PDF"),
    "disclosure.overview_figures": (
        "截至 {day}，绿色贷款余额 {green}，占各项贷款的 {share}；同比增长 {yoy}，较年初增长 {ytd}。",
        "On {day} the green-loan balance was {green}, {share} of all loans; {yoy} year on year, {ytd} since 1 January.",
    ),
    "disclosure.as_of_method": (
        "统计时点 {day}；绿色贷款按《绿色产业指导目录》分类（{version}），余额为月末本外币余额。",
        "As of {day}; green loans by the green-industry catalogue ({version}), month-end balances.",
    ),
    "disclosure.benefits_method": (
        "环境效益：项目年度效益按贷款余额占项目总投资的比例折算（人民银行口径）；"
        "{without} 笔绿色贷款未登记项目信息，未计入。",
        "Environmental benefits: each project's yearly benefits × the loan balance ÷ the project's total "
        "investment (PBoC); {without} green loans without a recorded project are not counted.",
    ),
    "disclosure.emissions_method": (
        "投融资碳排放：PCAF 金融业温室气体核算标准 A 部分第二版；有碳账户的企业按其 {year} 年账户数据归因，"
        "其他按行业排放强度估算；范围三未测算。",
        "Financed emissions: PCAF Part A, 2nd edition; borrowers with a carbon account by their {year} "
        "account, others by sector intensity; scope 3 not estimated.",
    ),
    "disclosure.indicator": ("指标", "Indicator"),
    "disclosure.value": ("数值", "Value"),
    "disclosure.tonnes_a_year": ("吨/年", "t a year"),
    "disclosure.not_estimated": ("未测算", "Not estimated"),
    "disclosure.data_sources": (
        "数据来源：本行按月报送的贷款台账（余额与五级分类，逐文件导入并留痕）；借款人碳账户数据（核查、计量、申报）；"
        "无账户数据时采用版本化的行业排放强度表。",
        "Sources: the bank's monthly loan-book files (balances and five-class quality, each import on record); "
        "borrowers' carbon accounts (audited, metered, declared); a versioned sector-intensity table otherwise.",
    ),
    "disclosure.data_source": ("数据来源", "Source"),
    "disclosure.loans": ("贷款笔数", "Loans"),
    "disclosure.source.audited": ("碳账户（经核查）", "Carbon account (audited)"),
    "disclosure.source.metered": ("碳账户（计量）", "Carbon account (metered)"),
    "disclosure.source.declared": ("碳账户（申报）", "Carbon account (declared)"),
    "disclosure.source.sector": ("行业排放强度估算", "Sector intensity estimate"),
    "disclosure.source.not_covered": ("未纳入（个人消费贷款）", "Not covered (consumer loans)"),
    "disclosure.data_coverage": (
        "有数据质量评分的余额占 {coverage}，按余额加权的数据质量评分 {score}（1 最好，5 最差）。",
        "{coverage} of the outstanding carries a data-quality score; weighted score {score} (1 best, 5 worst).",
    ),
    "disclosure.version_line": ("第 {version} 版 · {at}", "Version {version} · {at}"),
    "disclosure.not_written": ("本行尚未撰写本节。", "The bank has not written this section yet."),
    "disclosure.no_data": (
        "该年度贷款台账中没有本行的月末余额。",
        "The loan book holds no month-end of this bank in that year.",
    ),
    "disclosure.edit": ("撰写本节", "Write this section"),
    "disclosure.save": ("保存为新版本", "Save as a new version"),
    "disclosure.history": ("历史版本（{count}）", "Earlier versions ({count})"),
    "disclosure.generated": ("数据生成", "Generated from data"),
    "disclosure.written_by_bank": ("本行撰写", "Written by the bank"),
    "disclosure.guide_line": ("披露要求：{guide}", "What to disclose: {guide}"),
    "disclosure.choose_bank": ("请选择机构。", "Choose a bank."),
    "disclosure.refused": ("未保存：{reason}", "Not saved: {reason}"),
    "disclosure.refused_text": ("内容为空，或超过 20,000 字。", "the text is empty or longer than 20,000 characters."),
    "disclosure.refused_section": ("本节由数据生成，不可撰写。", "this section is generated from data."),
    "disclosure.refused_year": ("报告年度应在 2000 至 2100 年之间。", "the year must be 2000 to 2100."),
    "disclosure.refused_other": ("输入有误，请检查后重试。", "the input is not valid."),
}
