"""The message catalogue: every piece of page text, in Simplified Chinese first and English.

A message is looked up by a dotted key (``"login.title"``) and a language (``"zh"`` or
``"en"``); ``{name}`` placeholders are filled from keyword arguments::

    translate("login.throttled", "zh", minutes=15)  -> "登录失败次数过多，请 15 分钟后再试。"

An unknown key is a programming error and raises ``KeyError`` (the page tests catch it);
every entry carries both languages (``tests/web`` checks). Domain names that appear on
pages — labels, roles, data quality — come through here too, so that the UI, the API and
the docs use one name for one concept.
"""

from __future__ import annotations

from importlib import import_module
from pkgutil import iter_modules
from typing import Any

from greenfin.carbon import labels
from greenfin.web import messages

LANGUAGES = ("zh", "en")

LABELS = labels.LABELS  # one home: greenfin.carbon.labels

CATALOGUE: dict[str, tuple[str, str]] = {
    # --- the shell -------------------------------------------------------------------------
    "app.name": ("greenfin 绿色金融", "greenfin green finance"),
    "app.tagline": ("区域绿色金融开放平台", "An open platform for regional green finance"),
    "nav.home": ("首页", "Home"),
    "nav.overview": ("工业碳账户总览", "Industrial overview"),
    "nav.enterprises": ("企业名录", "Enterprises"),
    "nav.my_account": ("我的碳账户", "My carbon account"),
    "nav.login": ("登录", "Log in"),
    "nav.logout": ("退出", "Log out"),
    "nav.switch_language": ("English", "中文"),
    "nav.main": ("主导航", "Main navigation"),
    "nav.signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "footer.text": (
        "greenfin 开源区域绿色金融平台 · 数据均按国家标准核算，每个数字可追溯其来源",
        "greenfin, an open platform for regional green finance · every figure traceable to its source",
    ),
    "role.admin": ("平台管理员", "Administrator"),
    "role.regulator": ("监管部门", "Regulator"),
    "role.bank": ("金融机构", "Bank"),
    "role.enterprise": ("企业", "Enterprise"),
    "role.resident": ("居民", "Resident"),
    "role.data_source": ("数据源", "Data source"),
    # --- carbon labels (三维四色) --------------------------------------------------------------
    **{f"label.{code}": (zh, en.capitalize()) for code, (zh, en) in labels.LABEL_NAMES.items() if code in LABELS},
    "label.none": ("未贴标", "Not labelled"),
    "quality.metered": ("计量", "Metered"),
    "quality.declared": ("申报", "Declared"),
    "quality.audited": ("核查", "Audited"),
    # --- landing ---------------------------------------------------------------------------
    "landing.title": ("绿色发展，看得见", "Green progress you can see"),
    "landing.lead": (
        "greenfin 把企业、农户和居民的碳足迹变成碳账户，用透明的碳标签评价，"
        "并让标签在贷款定价、授信额度和财政贴息中真正发挥作用。",
        "greenfin turns the carbon footprint of factories, farms and people into carbon accounts, "
        "grades them with transparent carbon labels, and makes those labels count where money is lent.",
    ),
    "landing.accounts": ("三碳账户", "Three carbon accounts"),
    "landing.accounts_text": (
        "工业、农业和个人碳账户：能耗与行为数据按官方排放因子核算，每个数字都说明来源。",
        "Industrial, agricultural and personal carbon accounts: energy and behaviour data converted "
        "with official emission factors, every figure with its source.",
    ),
    "landing.labels": ("四色碳标签", "Four-colour carbon labels"),
    "landing.labels_text": (
        "与行业同行横向对比、与自身历史纵向对比，评出深绿、浅绿、黄、红四色标签，并说明原因。",
        "Compared with industry peers and with their own history, enterprises get one of four labels — "
        "with the reasons.",
    ),
    "landing.finance": ("碳账户金融", "Carbon-linked finance"),
    "landing.finance_text": (
        "标签和积分影响贷款利率、额度与审批通道，绿色越深，融资越优惠。",
        "Labels and points change interest rates, limits and approval channels: the greener, the better the terms.",
    ),
    "landing.region": ("本地区工业企业碳标签（{year} 年）", "Industrial carbon labels in the region ({year})"),
    "landing.enterprises_labelled": ("已贴标企业 {count} 家", "{count} enterprises labelled"),
    "landing.no_data": ("本地区尚未发布碳标签。", "The region has not published carbon labels yet."),
    "landing.login_cta": ("登录查看您的碳账户", "Log in to see your carbon account"),
    # --- login -----------------------------------------------------------------------------
    "login.title": ("登录", "Log in"),
    "login.intro": ("请使用您的平台账号登录。", "Log in with your platform account."),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.wrong": ("用户名或密码错误，请重新输入。", "Wrong username or password; please try again."),
    "login.throttled": (
        "登录失败次数过多，请 {minutes} 分钟后再试。",
        "Too many failed logins; please try again in {minutes} minutes.",
    ),
    "login.missing": ("请输入用户名和密码。", "Please enter your username and password."),
    "login.demo_hint": (
        "演示账号：admin、regulator、bank、enterprise、resident，密码均为 greenfin-demo。",
        "Demo logins: admin, regulator, bank, enterprise, resident — password greenfin-demo.",
    ),
    # --- home for roles without their own pages yet ----------------------------------------
    "home.title": ("欢迎，{name}", "Welcome, {name}"),
    "home.open_workbench": ("融资工作台：待受理与待审批的申请", "Workbench: applications to accept and decide"),
    "home.other_text": ("您的角色暂无专属页面。", "There are no pages for your role yet."),
    "home.public_summary": ("查看地区概况", "See the region's summary"),
    # --- errors ----------------------------------------------------------------------------
    "error.title": ("出错了", "Something went wrong"),
    "error.400": ("请求有误，请检查后重试。", "The request is not valid; please check it and try again."),
    "error.401": ("请先登录。", "Please log in first."),
    "error.403": ("您无权查看此内容。", "You are not allowed to see this."),
    "error.404": ("没有找到您要查看的内容。", "What you are looking for was not found."),
    "error.409": ("操作与现有数据冲突。", "This conflicts with data that exists already."),
    "error.422": ("输入的内容不符合要求，请检查后重试。", "The input breaks a rule; please check it and try again."),
    "error.429": ("请求过于频繁，请稍后再试。", "Too many requests; please try again later."),
    "error.other": ("系统暂时无法完成您的请求。", "The platform could not complete your request."),
    "error.detail": ("详细原因：{detail}", "Details: {detail}"),
    "error.back_home": ("返回首页", "Back to the home page"),
    # --- common ----------------------------------------------------------------------------
    "common.year": ("年份", "Year"),
    "common.year_value": ("{year} 年", "{year}"),
    "common.all": ("全部", "All"),
    "common.none": ("暂无数据", "No data"),
    "common.total": ("合计", "Total"),
    "common.share": ("占比", "Share"),
    "common.previous": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.page_of": ("第 {start}–{end} 条，共 {total} 条", "{start}–{end} of {total}"),
    "common.filter": ("筛选", "Filter"),
    "common.reset": ("重置", "Reset"),
    "common.page": ("分页", "Pages"),
    "common.chart_note": ("图表数据见下表。", "The chart's figures are in the table below."),
    # --- industrial carbon account ---------------------------------------------------------
    "industry.account_title": ("工业碳账户", "Industrial carbon account"),
    "industry.uscc": ("统一社会信用代码", "Unified social credit code"),
    "industry.county": ("所在区县", "County"),
    "industry.industry": ("所属行业", "Industry"),
    "industry.enterprise": ("企业", "Enterprise"),
    "industry.label": ("碳标签", "Carbon label"),
    "industry.label_of_year": ("{year} 年碳标签", "Carbon label {year}"),
    "industry.total_co2": ("碳排放总量", "Total emissions"),
    "industry.energy_co2": ("能源活动排放", "Energy emissions"),
    "industry.process_co2": ("工业过程排放", "Process emissions"),
    "industry.energy_tce": ("综合能耗（折标准煤）", "Energy use (coal equivalent)"),
    "industry.scope1": ("范围一（直接排放）", "Scope 1 (direct)"),
    "industry.scope2": ("范围二（外购电力、热力）", "Scope 2 (purchased power and heat)"),
    "industry.by_source": ("排放来源构成", "Emissions by source"),
    "industry.monthly": ("月度排放趋势", "Monthly emissions"),
    "industry.process": ("工业过程", "Industrial process"),
    "industry.energy_type": ("能源品种", "Energy"),
    "industry.quantity": ("消费量", "Quantity"),
    "industry.unit": ("单位", "Unit"),
    "industry.month": ("月份", "Month"),
    "industry.why": ("为什么是这个标签", "Why this label"),
    "industry.intensities": ("碳排放强度", "Carbon intensity"),
    "industry.intensity_output": ("单位产值排放", "Per 10k yuan of output value"),
    "industry.intensity_added": ("单位增加值排放", "Per 10k yuan of added value"),
    "industry.intensity_tax": ("单位税收排放", "Per 10k yuan of tax"),
    "industry.intensity_product": ("单位产品排放", "Per unit of product"),
    "industry.per_wan": ("tCO₂/万元", "tCO₂ per 10k yuan"),
    "industry.benchmark": ("行业基准", "Industry benchmark"),
    "industry.peer_count": ("同行企业", "Peers"),
    "industry.peer_count_value": ("{count} 家", "{count}"),
    "industry.k_ratio": ("横向比值 K（强度 ÷ 基准）", "Peer ratio K (intensity ÷ benchmark)"),
    "industry.yoy": ("强度同比变化", "Intensity change on last year"),
    "industry.contribution": ("区域减排贡献", "Share of the region's reduction"),
    "industry.thresholds": ("达到的阈值", "Thresholds crossed"),
    "industry.next_label": ("如何升级到{label}", "How to reach {label}"),
    "industry.top_label": ("已是最高等级，请保持。", "This is the best label; keep it up."),
    "industry.methodology": (
        "评价方法 {methodology}，排放因子 {factors}",
        "Methodology {methodology}, factors {factors}",
    ),
    "industry.data_quality": ("数据质量", "Data quality"),
    "industry.history": ("历年记录", "History"),
    "industry.no_account": ("该年度暂无碳账户数据。", "There is no carbon account for this year."),
    "industry.no_label": ("该年度尚未贴标。", "No label for this year yet."),
    "industry.overview_title": ("区域工业碳账户总览", "Industrial carbon accounts in the region"),
    "industry.label_counts": ("碳标签分布", "Labels"),
    "industry.enterprises_count": ("{count} 家企业", "{count} enterprises"),
    "industry.by_county": ("各区县碳标签分布", "Labels by county"),
    "industry.by_industry": ("各行业碳标签分布", "Labels by industry"),
    "industry.top_emitters": ("排放量最大的企业", "Biggest emitters"),
    "industry.trend": ("历年排放与标签趋势", "Emissions and labels by year"),
    "industry.rank": ("排名", "Rank"),
    "industry.list_title": ("工业企业名录", "Industrial enterprises"),
    "industry.search": ("名称或信用代码", "Name or credit code"),
    "industry.no_results": ("没有符合条件的企业。", "No enterprise matches these filters."),
    "industry.open_account": ("查看碳账户", "Open account"),
    "industry.assumptions": ("方法学假设", "Assumptions of the methodology"),
    "industry.annual_figures": ("年度经营数据", "Annual figures"),
    "industry.output_value": ("工业总产值", "Output value"),
    "industry.added_value": ("工业增加值", "Added value"),
    "industry.tax": ("税收", "Tax"),
    "industry.product_output": ("主要产品产量", "Main product output"),
    "industry.data_quality_note": (
        "按能源记录计：计量为表计读数，申报为企业填报，核查为第三方核查后的数据。",
        "By energy record: metered from meters, declared by the enterprise, audited by a third party.",
    ),
    "basis.added_value": ("单位增加值排放", "Intensity per 10k yuan of added value"),
    "basis.output_value": ("单位产值排放", "Intensity per 10k yuan of output value"),
    "basis.tax": ("单位税收排放", "Intensity per 10k yuan of tax"),
    "threshold.met": ("（已满足）", "(met)"),
    "threshold.not_met": ("（未满足）", "(not met)"),
    "threshold.unknown": ("（数据不足）", "(no data)"),
    # --- process (non-energy) emission sources ----------------------------------------------
    "process.clinker_calcination": ("熟料煅烧", "Clinker calcination"),
    "process.lime_calcination": ("石灰煅烧", "Lime calcination"),
    "process.carbonate_use": ("碳酸盐使用", "Carbonate use"),
    "process.hfc_byproduct": ("HFC-23 副产排放", "HFC-23 by-product"),
    "process.fluorochemical": ("氟化工过程排放", "Fluorochemical process"),
    "process.glass_melting": ("玻璃熔制", "Glass melting"),
    "process.steelmaking": ("炼钢过程", "Steelmaking"),
    "process.other": ("工业过程（{source}）", "Industrial process ({source})"),
    # --- agricultural carbon account (issue 4) ------------------------------------------------
    "nav.coverage": ("农业碳账户覆盖", "Farm account coverage"),
    "nav.reports": ("碳征信报告", "Carbon credit reports"),
    "nav.consents": ("数据授权", "Data consents"),
    "nav.what_if": ("减排试算", "What-if"),
    "home.bank_reports_text": (
        "在融资工作台受理、审批、签约和放款衢融通上的融资申请，每一步都有答复期限；"
        "为已授权的企业和农户申请碳征信报告，并下载带平台签名的 PDF。",
        "Accept, decide, contract and disburse the platform's applications on the workbench, each step with its "
        "deadline; request carbon credit reports for consenting enterprises and farms and download the signed PDF.",
    ),
    "home.open_reports": ("碳征信报告", "Carbon credit reports"),
    "agri.account_title": ("农业碳账户", "Agricultural carbon account"),
    "agri.farm_type": ("经营主体类型", "Farm type"),
    "agri.uscc": ("统一社会信用代码", "Unified social credit code"),
    "agri.holder_id": ("经营者身份证号（脱敏）", "Holder's ID number (masked)"),
    "agri.county": ("所在区县", "County"),
    "agri.township": ("乡镇", "Township"),
    "agri.county_township": ("区县 / 乡镇", "County / township"),
    "agri.area": ("经营面积", "Area"),
    "agri.herd": ("生猪存栏", "Pig herd"),
    "agri.mu": ("{value} 亩", "{value} mu"),
    "agri.heads": ("{value} 头", "{value} head"),
    "agri.reduction": ("年度减排量", "Reduction in the year"),
    "agri.intensity": ("减排强度", "Reduction intensity"),
    "agri.denominator": ("计算基数", "Denominator"),
    "agri.denominator.herd_heads": ("存栏（头）", "Herd (head)"),
    "agri.denominator.area_mu": ("面积（亩）", "Area (mu)"),
    "agri.denominator.product_t": ("有机肥产量（吨）", "Organic fertiliser produced (t)"),
    "agri.label_of_year": ("{year} 年农业碳标签", "Agricultural carbon label {year}"),
    "agri.why": ("为什么是这个标签", "Why this label"),
    "agri.bands": ("标签档位", "Label bands"),
    "agri.band_from": ("≥ {value} {unit}", "≥ {value} {unit}"),
    "agri.band_rest": ("其余", "Otherwise"),
    "agri.next_label": ("如何升级到{label}", "How to reach {label}"),
    "agri.next_gap": (
        "减排强度需达到 {target} {unit}（还差 {gap}），即全场再减排约 {total}。",
        "The reduction intensity must reach {target} {unit} ({gap} more), i.e. about {total} more for the farm.",
    ),
    "agri.top_label": ("已是最高等级，请保持。", "This is the best label; keep it up."),
    "agri.label_source": ("档位依据：{source}", "Bands from: {source}"),
    "agri.by_practice": ("各措施减排量", "Reduction by practice"),
    "agri.practice": ("措施", "Practice"),
    "agri.practice.organic_fertiliser_substitution": ("有机肥替代化肥", "Organic fertiliser instead of chemical"),
    "agri.practice.straw_return": ("秸秆还田", "Straw returned to the field"),
    "agri.practice.biogas_project": ("沼气工程", "Biogas digester"),
    "agri.terms": ("计算过程", "How it is computed"),
    "agri.term": ("分项", "Term"),
    "agri.formula": ("公式", "Formula"),
    "agri.value_kg": ("kg CO₂e", "kg CO₂e"),
    "agri.inputs": ("参数", "Inputs"),
    "agri.input_name": ("参数", "Input"),
    "agri.input_value": ("取值", "Value"),
    "agri.input_source": ("来源", "Source"),
    "agri.history": ("历年记录", "History"),
    "agri.no_assessment": ("该年度尚无农业碳账户核算结果。", "There is no assessment for this year."),
    "agri.no_account": ("该经营主体尚未开立碳账户。", "This farm has no carbon account yet."),
    "agri.methodology": ("方法学 {version}", "Methodology {version}"),
    "agri.what_if_link": ("试算：新建沼气池", "What-if: add a biogas digester"),
    "agri.coverage_title": ("农业碳账户覆盖情况", "Coverage of agricultural carbon accounts"),
    "agri.coverage_lead": (
        "各类经营主体中已开立碳账户的比例（已开户 ÷ 已登记）。",
        "Share of registered farms that have a carbon account (with account ÷ registered).",
    ),
    "agri.category": ("类别", "Category"),
    "agri.category.organic_fertiliser_producer": ("有机肥生产企业", "Organic-fertiliser producers"),
    "agri.category.pig_farm": ("生猪养殖场", "Pig farms"),
    "agri.category.grain_grower": ("种粮大户", "Large grain growers"),
    "agri.category.cooperative": ("农民专业合作社", "Cooperatives"),
    "agri.registered": ("已登记", "Registered"),
    "agri.with_account": ("已开户", "With account"),
    "agri.without_account": ("未开户", "Without account"),
    "agri.coverage_share": ("覆盖率", "Coverage"),
    "agri.by_county": ("分区县覆盖情况", "Coverage by county"),
    "agri.county_chart": ("各区县已开户 / 未开户经营主体", "Farms with and without an account, by county"),
    # --- carbon-linked finance (issue 4) -------------------------------------------------------
    "fin.reports_title": ("碳征信报告", "Carbon credit reports"),
    "fin.request_title": ("申请碳征信报告", "Request a carbon credit report"),
    "fin.request_lead": (
        "只能为已向本行授权、且授权仍有效的企业或农户申请报告。报告由平台签名，可离线验证。",
        "Reports can be requested only for enterprises and farms whose consent to your bank is live. "
        "The platform signs every report, so it can be verified offline.",
    ),
    "fin.borrower": ("借款主体", "Borrower"),
    "fin.borrower_kind.enterprise": ("企业", "Enterprise"),
    "fin.borrower_kind.farm": ("农业经营主体", "Farm"),
    "fin.year_optional": ("报告截至年份（可选，默认最新）", "Latest year to report (optional; default the newest)"),
    "fin.request_submit": ("生成报告", "Issue the report"),
    "fin.no_consents": ("暂无授权本行的借款主体。", "No borrower has granted your bank access yet."),
    "fin.refused_revoked": (
        "该借款主体已撤销对本行的授权，无法生成或查看报告。",
        "The borrower revoked its consent to your bank; no report can be issued or read.",
    ),
    "fin.refused_expired": (
        "该借款主体对本行的授权已过期，无法生成或查看报告。",
        "The borrower's consent to your bank has expired; no report can be issued or read.",
    ),
    "fin.refused_none": (
        "该借款主体尚未授权本行查询其碳数据。",
        "The borrower has not granted your bank access to its carbon data.",
    ),
    "fin.report_list": ("已生成的报告", "Reports issued"),
    "fin.no_reports": ("暂无报告。", "No reports yet."),
    "fin.report_id": ("报告编号", "Report id"),
    "fin.issued_at": ("签发时间", "Issued at"),
    "fin.bank": ("金融机构", "Bank"),
    "fin.open": ("查看", "Open"),
    "fin.report_title": ("碳征信报告", "Carbon credit report"),
    "fin.download_pdf": ("下载 PDF", "Download PDF"),
    "fin.download_json": ("签名 JSON", "Signed JSON"),
    "fin.issuer": ("签发平台", "Issued by"),
    "fin.consent": ("授权", "Consent"),
    "fin.consent_value": (
        "{scope}，有效至 {expires}（授权编号 {id}）",
        "{scope}, valid until {expires} (consent {id})",
    ),
    "fin.identity": ("主体信息", "Identity"),
    "fin.name": ("名称", "Name"),
    "fin.industry": ("所属行业", "Industry"),
    "fin.emissions": ("近三年排放与强度", "Emissions and intensity, last three years"),
    "fin.reductions_title": ("近三年减排量", "Reductions, last three years"),
    "fin.total_co2": ("排放总量", "Total emissions"),
    "fin.energy_co2": ("能源活动", "Energy"),
    "fin.process_co2": ("工业过程", "Process"),
    "fin.energy_tce": ("综合能耗", "Energy use"),
    "fin.intensity_added": ("单位增加值排放", "Per 10k yuan added value"),
    "fin.intensity_output": ("单位产值排放", "Per 10k yuan output"),
    "fin.labels": ("碳标签及说明", "Labels and why"),
    "fin.peers": ("同行位置", "Position among peers"),
    "fin.peer_text": (
        "{group}同行 {count} 家，本主体强度为同行基准的 {k} 倍，强度较上年 {yoy}",
        "{count} peers in {group}; its intensity is {k} times the peers' benchmark, {yoy} on the year before",
    ),
    "fin.farm_peer_text": ("同类经营主体中排第 {rank} 名，共 {of} 家", "Rank {rank} of {of} farms of its type"),
    "fin.data_quality": ("数据质量", "Data quality"),
    "fin.change_t": ("排放变化", "Change in emissions"),
    "fin.reduction_kg": ("减排量", "Reduction"),
    "fin.terms_title": ("可享受的授信条件", "Credit terms it qualifies for"),
    "fin.terms_lead": (
        "以基础报价为起点（年利率 {rate}，金额 {amount}，期限 {months} 个月，担保费率 {fee}），逐条说明调整依据。",
        "Against the base offer (rate {rate}, amount {amount}, {months} months, guarantee fee {fee}), "
        "every adjustment with the rule that made it.",
    ),
    "fin.rate": ("年利率", "Interest rate"),
    "fin.amount": ("授信额度", "Credit line"),
    "fin.guarantee_fee": ("担保费率", "Guarantee fee"),
    "fin.fast_track": ("快速审批通道", "Fast-track approval"),
    "fin.yes": ("是", "Yes"),
    "fin.no": ("否", "No"),
    "fin.products": ("可申请产品", "Eligible products"),
    "fin.adjustments": ("调整明细", "Adjustments"),
    "fin.rule": ("规则", "Rule"),
    "fin.before": ("调整前", "Before"),
    "fin.after": ("调整后", "After"),
    "fin.reason": ("原因", "Why"),
    "fin.source": ("依据", "Source"),
    "fin.no_adjustments": ("当前标签不带来授信条件调整。", "The current labels change no terms."),
    "fin.signature": ("平台签名", "Platform signature"),
    "fin.signature_note": (
        "报告以 Ed25519 签名，公钥见 /api/v1/finance/signing-key；任何改动都会使签名失效。",
        "The report is signed with Ed25519 (public key at /api/v1/finance/signing-key); "
        "any alteration breaks the signature.",
    ),
    "fin.algorithm": ("算法", "Algorithm"),
    "fin.key_id": ("密钥编号", "Key id"),
    "fin.sha256": ("报告摘要 SHA-256", "Report digest SHA-256"),
    "fin.signature_value": ("签名值", "Signature"),
    "fin.account_type.industrial": ("工业碳账户", "Industrial account"),
    "fin.account_type.agricultural": ("农业碳账户", "Agricultural account"),
    "fin.account_type.personal": ("个人碳账户", "Personal account"),
    "fin.consents_title": ("数据授权管理", "Data consents"),
    "fin.grant_title": ("授权金融机构查询", "Grant a bank access"),
    "fin.grant_lead": (
        "授权后，该机构可在有效期内为您申请碳征信报告；您可随时撤销。",
        "Once granted, the bank can request carbon credit reports about you until the consent expires; "
        "you can revoke it at any time.",
    ),
    "fin.bank_code": ("金融机构代码", "Bank code"),
    "fin.scope": ("授权范围", "Scope"),
    "fin.scope.credit_report": ("碳征信报告", "Carbon credit report"),
    "fin.expires_on": ("有效期至", "Valid until"),
    "fin.grant_submit": ("授权", "Grant"),
    "fin.granted": ("已授权 {bank}。", "Consent granted to {bank}."),
    "fin.revoked": ("已撤销授权。", "Consent revoked."),
    "fin.my_consents": ("我的授权", "My consents"),
    "fin.status": ("状态", "Status"),
    "fin.status.active": ("有效", "Active"),
    "fin.status.revoked": ("已撤销", "Revoked"),
    "fin.status.expired": ("已过期", "Expired"),
    "fin.granted_at": ("授权时间", "Granted"),
    "fin.revoke": ("撤销", "Revoke"),
    "fin.no_consents_granted": ("您尚未授权任何金融机构。", "You have not granted any bank access."),
    "fin.reads_title": ("谁查看了我的报告", "Who read my reports"),
    "fin.read_at": ("时间", "When"),
    "fin.reader": ("查看人", "Who"),
    "fin.form": ("方式", "How"),
    "fin.form.issue": ("生成", "Issued"),
    "fin.form.json": ("接口（JSON）", "API (JSON)"),
    "fin.form.pdf": ("下载 PDF", "PDF download"),
    "fin.form.page": ("网页查看", "Web page"),
    "fin.no_reads": ("尚无人查看您的报告。", "Nobody has read a report about you yet."),
    "fin.what_if_title": ("减排试算", "What-if"),
    "fin.what_if_lead": (
        "调整能源结构，立即看到新的排放、碳标签和授信条件（按平台同一套规则计算，不会保存）。",
        "Change your energy mix and see the new emissions, label and credit terms at once "
        "(computed with the platform's own rules; nothing is stored).",
    ),
    "fin.coal_to_electricity": ("煤改电比例（%）", "Coal moved to electricity (%)"),
    "fin.technology": ("用电设备（按同等有效热量折算）", "Electric equipment (equal useful heat)"),
    "fin.technology.heat_pump": ("工业热泵（COP 3.0）", "Industrial heat pump (COP 3.0)"),
    "fin.technology.electric_boiler": ("电锅炉（效率 95%）", "Electric boiler (95% efficient)"),
    "fin.pv_kwh": ("屋顶光伏年发电量（kWh）", "Rooftop PV generation (kWh a year)"),
    "fin.gas_cut": ("天然气削减比例（%）", "Natural gas cut (%)"),
    "fin.compute": ("试算", "Compute"),
    "fin.current": ("当前", "Now"),
    "fin.after_change": ("调整后", "After the change"),
    "fin.change": ("变化", "Change"),
    "fin.intensity": ("排放强度", "Intensity"),
    "fin.energy": ("能源品种", "Energy"),
    "fin.assumptions": ("试算假设", "Assumptions"),
    "fin.per_wan": ("tCO₂/万元", "tCO₂ per 10k yuan"),
    "fin.farm_what_if_title": ("试算：新建沼气池", "What-if: a biogas digester"),
    "fin.farm_what_if_lead": (
        "为养殖场增加沼气工程，立即看到新的减排量、农业碳标签和授信条件（不会保存）。",
        "Add a biogas digester to the farm and see the new reduction, label and credit terms (nothing is stored).",
    ),
    "fin.digester_volume": ("沼气池容积（m³）", "Digester volume (m³)"),
    "fin.heads_served": ("接入沼气池的生猪（头）", "Pigs whose manure goes to it (head)"),
    "fin.manure_treated": ("处理粪污量（吨）", "Manure treated (t)"),
    "fin.biogas_produced": ("沼气产量（m³）", "Biogas produced (m³)"),
    "fin.biogas_used": ("沼气利用量（m³）", "Biogas used (m³)"),
    "fin.reduction": ("减排量", "Reduction"),
    "fin.no_farm": ("请从农业碳账户页面进入试算。", "Open the what-if from a farm's account page."),
    "fin.year_of": ("核算年度 {year}", "Year {year}"),
    # --- the personal carbon account (issue 3) ---------------------------------------------
    "nav.personal_overview": ("个人碳账户总览", "Personal accounts overview"),
    "personal.account_eyebrow": ("个人碳账户", "Personal carbon account"),
    "personal.open_title": ("开通个人碳账户", "Open your personal carbon account"),
    "personal.open_lead": (
        "开通后，您在 18 类日常支付场景中的低碳行为将折算为减碳量和积分。",
        "Once open, low-carbon behaviour in 18 daily payment scenarios earns avoided CO₂ and points.",
    ),
    "personal.open_id_number": ("居民身份证号码", "Resident ID number"),
    "personal.open_name": ("姓名", "Name"),
    "personal.open_phone": ("手机号码（选填）", "Mobile phone (optional)"),
    "personal.open_consent": (
        "我同意开通个人碳账户，并同意平台按规则记录我的低碳支付行为。",
        "I agree to open a personal carbon account and to the platform recording my low-carbon payments.",
    ),
    "personal.open_privacy": (
        "身份证号码只以加密摘要保存，页面上只显示脱敏后的号码。",
        "Your ID number is stored only as a keyed hash; pages show it masked.",
    ),
    "personal.open_submit": ("开通账户", "Open the account"),
    "personal.open_no_consent": ("开通账户需要您的同意。", "Opening an account needs your consent."),
    "personal.account_title": ("我的碳账户", "My carbon account"),
    "personal.holder": ("{name} · 身份证 {id}", "{name} · ID {id}"),
    "personal.balance": ("积分余额", "Points balance"),
    "personal.points_pending": (
        "另有 {events} 笔待入账（至多 {points} 分，按每日上限入账）",
        "{events} more events being posted (up to {points} points, daily caps apply)",
    ),
    "personal.points": ("积分", "Points"),
    "personal.points_value": ("{points} 分", "{points} points"),
    "personal.co2_month": ("本月减少碳排放", "CO₂ avoided this month"),
    "personal.co2_12m": ("近12个月减少碳排放", "CO₂ avoided, last 12 months"),
    "personal.co2_total": ("开户以来减少碳排放", "CO₂ avoided since opening"),
    "personal.points_month": ("本月获得 {points} 分", "{points} points earned this month"),
    "personal.unit_kg": ("千克", "kg"),
    "personal.unit_g": ("克", "g"),
    "personal.unit_t": ("吨", "t"),
    "personal.co2_kg": ("减少碳排放（千克）", "CO₂ avoided (kg)"),
    "personal.co2_avoided_unit": ("减少碳排放（{unit}）", "CO₂ avoided ({unit})"),
    "personal.grade_title": ("绿色信用等级", "Green-credit grade"),
    "personal.grade_basis": (
        "依据近12个月减少的碳排放 {co2} 评定（等级标准 {version}）。",
        "Based on the {co2} of CO₂ avoided in the last 12 months (bands {version}).",
    ),
    "personal.grade_uplift": ("含权益兑换的等级提升 {co2}。", "Includes a grade uplift of {co2} from a reward."),
    "personal.grade_next": ("再减少 {co2} 碳排放即可升至「{grade}」。", "Avoid {co2} more CO₂ to reach “{grade}”."),
    "personal.grade_top": ("您已达到最高等级，请继续保持！", "You have reached the highest grade. Keep it up!"),
    "personal.grade.light_green": ("浅绿", "Light green"),
    "personal.grade.mid_green": ("中绿", "Mid green"),
    "personal.grade.dark_green": ("深绿", "Dark green"),
    "personal.chart_title": ("近12个月每月积分与减排量", "Points and CO₂ avoided per month, last 12 months"),
    "personal.ledger_title": ("积分明细", "Points history"),
    "personal.period_from": ("开始日期", "From"),
    "personal.period_to": ("结束日期", "To"),
    "personal.scenario": ("场景", "Scenario"),
    "personal.kind": ("类型", "Kind"),
    "personal.kind.earn": ("获得", "Earned"),
    "personal.kind.redeem": ("兑换", "Redeemed"),
    "personal.kind.expire": ("过期", "Expired"),
    "personal.kind.adjust": ("调整", "Adjusted"),
    "personal.kind.reverse": ("冲正", "Reversed"),
    "personal.date": ("日期", "Date"),
    "personal.co2": ("减排量", "CO₂ avoided"),
    "personal.no_entries": ("没有符合条件的积分记录。", "No entries match these filters."),
    "personal.rewards_title": ("积分兑换", "Rewards"),
    "personal.rewards_lead": (
        "用积分兑换本地权益；兑换后积分立即扣除。",
        "Spend points on local rewards; the points are deducted at once.",
    ),
    "personal.price": ("{points} 积分", "{points} points"),
    "personal.stock": ("库存 {stock}", "{stock} left"),
    "personal.out_of_stock": ("已兑完", "Out of stock"),
    "personal.redeem": ("兑换", "Redeem"),
    "personal.reward_kind.consumer_voucher": ("消费券", "Consumer voucher"),
    "personal.reward_kind.household_service": ("家政服务", "Household service"),
    "personal.reward_kind.credit_uplift": ("信用等级提升", "Grade uplift"),
    "personal.reward_kind.public_service": ("公共服务", "Public service"),
    "personal.no_rewards": ("暂无可兑换的权益。", "No rewards are available today."),
    "personal.redeemed": (
        "已兑换「{reward}」，扣除 {points} 积分。券码：{voucher}",
        "Redeemed “{reward}” for {points} points. Voucher code: {voucher}",
    ),
    "personal.refused_points": (
        "积分不足：兑换「{reward}」需要 {price} 积分，您现有 {balance} 积分。",
        "Not enough points: “{reward}” needs {price} points and you have {balance}.",
    ),
    "personal.refused_stock": (
        "「{reward}」已兑完，请选择其他权益。",
        "“{reward}” is out of stock; please choose another reward.",
    ),
    "personal.refused_unavailable": ("该权益今天不可兑换。", "This reward cannot be redeemed today."),
    "personal.refused_other": ("兑换未成功：{detail}", "The redemption did not go through: {detail}"),
    "personal.vouchers_title": ("我的兑换记录", "My vouchers"),
    "personal.voucher": ("券码", "Voucher code"),
    "personal.consents_title": ("银行查询授权", "Banks allowed to read your grade"),
    "personal.consents_lead": (
        "授权后，该银行可在有效期内查询您的绿色信用等级，用于绿色信贷优惠；您可随时撤回。",
        "A bank you allow may read your green-credit grade until the consent expires, for green-loan terms; "
        "you can withdraw at any time.",
    ),
    "personal.bank_code": ("银行代码", "Bank code"),
    "personal.consent_days": ("有效期", "Valid for"),
    "personal.days": ("{days} 天", "{days} days"),
    "personal.grant": ("授权", "Allow"),
    "personal.revoke": ("撤回", "Withdraw"),
    "personal.bank": ("银行", "Bank"),
    "personal.expires": ("到期", "Expires"),
    "personal.status": ("状态", "Status"),
    "personal.status.active": ("有效", "Active"),
    "personal.status.revoked": ("已撤回", "Withdrawn"),
    "personal.status.expired": ("已过期", "Expired"),
    "personal.no_consents": ("您尚未授权任何银行。", "You have not allowed any bank."),
    "personal.granted": ("已授权 {bank} 查询您的绿色信用等级。", "{bank} may now read your green-credit grade."),
    "personal.revoked": ("授权已撤回。", "The consent is withdrawn."),
    "personal.consent_no_bank": (
        "没有代码为 {bank} 的银行，请检查后重试。",
        "There is no bank with the code {bank}; please check it.",
    ),
    "personal.consent_missing_bank": ("请填写银行代码。", "Please give the bank's code."),
    "personal.overview_title": ("个人碳账户总览", "Personal carbon accounts: overview"),
    "personal.overview_period": ("近 {days} 天：{first} 至 {last}", "Last {days} days: {first} to {last}"),
    "personal.accounts": ("开户数", "Accounts"),
    "personal.active_accounts": ("近 {days} 天活跃账户", "Active in {days} days"),
    "personal.events_30d": ("近 {days} 天低碳行为", "Events in {days} days"),
    "personal.co2_30d": ("近 {days} 天减少碳排放", "CO₂ avoided in {days} days"),
    "personal.points_issued": ("累计发放积分", "Points issued"),
    "personal.points_redeemed": ("累计兑换积分", "Points redeemed"),
    "personal.points_expired": ("累计过期积分", "Points expired"),
    "personal.points_outstanding": ("未使用积分", "Points outstanding"),
    "personal.events": ("行为笔数", "Events"),
    "personal.events_chart": ("每日低碳行为与减排量", "Events and CO₂ avoided per day"),
    "fin.borrower_farm": ("农业经营主体", "farm"),
}


def _merge_sections() -> None:
    """Add the sections of ``greenfin.web.messages`` (one module per area, each a ``MESSAGES`` dict).

    A key defined twice is a programming error: one concept, one name, one place.
    """
    for info in sorted(iter_modules(messages.__path__), key=lambda m: m.name):
        section: dict[str, tuple[str, str]] = import_module(f"{messages.__name__}.{info.name}").MESSAGES
        clash = CATALOGUE.keys() & section.keys()
        if clash:
            raise RuntimeError(f"message keys defined twice ({info.name}): {', '.join(sorted(clash))}")
        CATALOGUE.update(section)


_merge_sections()

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def translate(key: str, lang: str, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in."""
    zh, en = CATALOGUE[key]
    text = en if lang == "en" else zh
    return text.format(**params) if params else text


def label_name(code: str | None, lang: str) -> str:
    """The name of a carbon label (``dark_green`` → 深绿 / Dark green)."""
    return translate(f"label.{code}" if code in LABELS else "label.none", lang)


def process_name(source: str, lang: str) -> str:
    """The name of a process-emission source (``clinker_calcination`` → 熟料煅烧)."""
    key = f"process.{source}"
    return translate(key, lang) if key in CATALOGUE else translate("process.other", lang, source=source)


def month_name(month: int, lang: str) -> str:
    """A month as the page shows it: "3月" or "Mar"."""
    return f"{month}月" if lang == "zh" else _MONTHS_EN[month - 1]
