"""Messages of the pages area (issue 12): the farm's navigation, reports, lists, confirmations."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.farm_account": ("{name} 农业碳账户", "{name}: farm account"),
    "nav.farm_what_if": ("{name} 减排试算", "{name}: what-if"),
    "industry.benchmark_peers_text": (
        "{group} {count} 家同行的平均水平（{basis}）",
        "average of {count} peers in {group} ({basis})",
    ),
    "industry.benchmark_region_text": (
        "全区 {count} 家企业的平均水平（同行不足）",
        "regional average of {count} enterprises (too few peers)",
    ),
    "industry.share_of_total": ("占排放总量", "Share of total emissions"),
    "fin.pv_mwh": ("屋顶光伏年发电量（MWh）", "Rooftop PV generation (MWh a year)"),
    # --- report request and consents -------------------------------------------------------
    "fin.err_borrower": ("请选择借款人。", "Choose a borrower."),
    "fin.err_year": ("年度应在 1990 至 2100 之间。", "The year must be between 1990 and 2100."),
    "fin.err_term": ("期限应为 1 至 360 个月。", "The term must be 1 to 360 months."),
    "fin.err_amount": (
        "金额应为 0.01 至 100,000,000 万元之间的数字。",
        "The amount must be a number from 0.01 to 100,000,000 (10k yuan).",
    ),
    "fin.err_bank": ("请从列表中选择一家银行。", "Choose a bank from the list."),
    "fin.err_expiry": ("请填写授权截止日期。", "Give the date the consent ends."),
    "fin.err_scope": ("目前只能授权查询碳征信报告。", "A consent covers carbon credit reports only."),
    "fin.err_no_bank": (
        "平台上没有这家银行，请从列表中选择。",
        "No such bank on the platform; choose one from the list.",
    ),
    "fin.err_conflict": ("该银行已持有有效授权。", "That bank already holds an active consent."),
    "fin.err_grant": ("授权未成功，请检查填写内容。", "The consent was not granted; check what you entered."),
    "fin.err_no_consent": ("没有这项授权。", "No such consent."),
    "fin.amount_wan": ("贷款金额（万元）", "Loan amount (10k yuan)"),
    "fin.amount_hint": ("不填则按 100 万元", "100 (10k yuan) if left empty"),
    "fin.term_months": ("期限（月）", "Term (months)"),
    "fin.lpr_note": (
        "基础利率按签发当日适用的贷款市场报价利率（LPR）加点确定：5 年以内用 1 年期 LPR，5 年以上用 5 年期以上 LPR。",
        "The base rate is the loan prime rate (LPR) in force on the day of issue plus a spread: the 1-year LPR "
        "for up to 5 years, the over-5-year LPR beyond.",
    ),
    "fin.bank_search": ("选择银行（输入名称或代码搜索）", "Choose a bank (type its name or code)"),
    "fin.bank_search_placeholder": ("例如：农商银行", "e.g. rural commercial bank"),
    "fin.bank_chosen": ("已选择：{bank}", "Chosen: {bank}"),
    "fin.bank_none_found": ("没有找到名称含“{q}”的银行。", "No bank whose name contains “{q}”."),
    "fin.bank_choose": ("选择", "Choose"),
    "fin.revoke_title": ("确认撤销授权", "Revoke this consent?"),
    "fin.revoke_lead": (
        "撤销后，{bank} 将立即无法再为您出具或查阅碳征信报告；已出具的报告仍保留在平台上，查阅记录可追溯。",
        "Once revoked, {bank} can no longer obtain or read carbon credit reports about you; reports already "
        "issued stay on the platform and every read stays traceable.",
    ),
    "fin.revoke_confirm": ("确认撤销", "Revoke"),
    "fin.cancel": ("取消", "Cancel"),
    "fin.expires_at_value": ("有效至 {expires}", "valid until {expires}"),
    # --- personal account ----------------------------------------------------------------
    "personal.period_days": ("统计期间", "Period"),
    "personal.my_vouchers_all": ("查看全部", "See all"),
    "personal.my_vouchers": ("我的券", "My vouchers"),
    "personal.my_vouchers_lead": (
        "您用积分兑换的每一张券：券码可随时在此查看。",
        "Every voucher you bought with points; the code stays here for you.",
    ),
    "personal.no_vouchers": ("还没有兑换过券。", "No vouchers yet."),
    "personal.voucher_code": ("券码", "Voucher code"),
    "personal.voucher_reward": ("权益", "Reward"),
    "personal.voucher_points": ("所用积分", "Points spent"),
    "personal.voucher_redeemed_at": ("兑换时间", "Redeemed"),
    "personal.voucher_valid_to": ("有效期至", "Valid until"),
    "personal.voucher_state": ("状态", "State"),
    "personal.voucher_state.valid": ("可使用", "Valid"),
    "personal.voucher_state.expired": ("已过期", "Expired"),
    "personal.no_end": ("长期有效", "No end date"),
    "personal.redeem_title": ("确认兑换", "Redeem this reward?"),
    "personal.redeem_lead": (
        "将用 {price} 积分兑换“{reward}”。兑换后积分不退回；券码会显示在“我的券”中。",
        "{price} points will be spent on “{reward}”. Points are not refunded; the code stays in “My vouchers”.",
    ),
    "personal.redeem_balance": (
        "当前积分 {balance}，兑换后剩余 {after}。",
        "Balance {balance}; {after} left afterwards.",
    ),
    "personal.redeem_short": (
        "积分不足：还差 {missing} 积分。",
        "Not enough points: {missing} more needed.",
    ),
    "personal.redeem_confirm": ("确认兑换", "Redeem"),
    "personal.revoke_lead": (
        "撤销后，{bank} 将无法再查询您的绿色信用等级；已查询的记录仍可追溯。",
        "Once withdrawn, {bank} can no longer read your green-credit grade; earlier reads stay traceable.",
    ),
    # --- lists -------------------------------------------------------------------------------
    "list.count": ("第 {start}–{end} 条，共 {total} 条", "{start}–{end} of {total}"),
    "list.page_size": ("每页条数", "Rows per page"),
    "list.apply": ("应用", "Apply"),
    "list.export": ("导出筛选结果：", "Export what is filtered:"),
    "list.farms_title": ("农业经营主体名录", "Farms"),
    "list.farm_type": ("类型", "Type"),
    "list.county": ("区县", "County"),
    "list.account": ("碳账户", "Carbon account"),
    "list.account_open": ("已开户", "Open"),
    "list.account_none": ("未开户", "Not opened"),
    "list.registered_at": ("登记时间", "Registered"),
    "list.no_farms": ("没有符合条件的经营主体。", "No farm matches."),
    "list.farm_name": ("名称", "Name"),
    "list.uscc_or_holder": ("统一社会信用代码 / 经营者身份证号（脱敏）", "USCC / holder ID (masked)"),
    "list.size": ("面积（亩）/ 存栏（头）", "Area (mu) / herd (head)"),
    "nav.farms": ("农业主体名录", "Farms"),
    "industry.export_co2": ("排放总量（tCO₂）", "Total emissions (tCO₂)"),
}
