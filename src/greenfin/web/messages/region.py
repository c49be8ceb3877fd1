"""Messages of the region area: ID-number refusals, the consent history, region names."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- resident ID numbers (greenfin.auth.rules.ID_NUMBER_REASONS) -------------------------
    "identity.id_number.length": (
        "身份证号码应为 18 位。",
        "A resident ID number has 18 characters.",
    ),
    "identity.id_number.characters": (
        "身份证号码应为 17 位数字加 1 位校验码（0–9 或 X）。",
        "A resident ID number is 17 digits and a check character (0–9 or X).",
    ),
    "identity.id_number.province": (
        "身份证号码前两位不是省级行政区划代码（11–65、71、81、82）。",
        "The first two digits are not a province-level code (11–65, 71, 81, 82).",
    ),
    "identity.id_number.date": (
        "身份证号码中的出生日期（第 7–14 位）不是有效日期。",
        "The birth date (characters 7–14) is not a real date.",
    ),
    "identity.id_number.future": (
        "身份证号码中的出生日期（第 7–14 位）晚于今天。",
        "The birth date (characters 7–14) is in the future.",
    ),
    "identity.id_number.check": (
        "身份证号码校验码（第 18 位）不正确，请核对。",
        "The check character (the 18th) is wrong; please check the number.",
    ),
    # --- the borrower's consent history (auth.Consent) --------------------------------------
    "consent.history.title": ("授权记录", "Consent history"),
    "consent.history.lead": (
        "您向各机构授权使用您数据的全部记录：授权对象、范围、有效期、撤销情况，以及每次授权下的数据读取。",
        "Every grant of your data to an organisation: to whom, for what, until when, whether revoked, "
        "and every read it allowed.",
    ),
    "consent.history.grantee": ("授权对象", "Granted to"),
    "consent.history.subject": ("授权主体", "Whose data"),
    "consent.history.scope": ("授权范围", "Scope"),
    "consent.history.granted_at": ("授权时间", "Granted"),
    "consent.history.expires_at": ("到期时间", "Expires"),
    "consent.history.status": ("状态", "Status"),
    "consent.history.reads": ("数据读取", "Reads"),
    "consent.history.read_count": ("读取 {count} 次", "{count} reads"),
    "consent.history.no_reads": ("尚无读取", "No reads yet"),
    "consent.history.empty": ("您尚未向任何机构授权。", "You have not granted any organisation access to your data."),
    "consent.history.time_note": ("时间均为北京时间。", "Times are Beijing time (UTC+8)."),
    "consent.history.link": ("全部授权记录", "Full consent history"),
    "consent.scope.credit_report": ("碳征信数据与报告", "Carbon data and credit reports"),
    "consent.scope.personal_grade": ("个人绿色信用等级", "Personal green-credit grade"),
    "consent.scope.application_data": ("融资申请资料", "Loan application data"),
    "consent.status.active": ("有效", "Active"),
    "consent.status.expired": ("已到期", "Expired"),
    "consent.status.revoked": ("已撤销", "Revoked"),
    "consent.subject.enterprise": ("企业", "Enterprise"),
    "consent.subject.farm": ("农业经营主体", "Farm"),
    "consent.subject.resident": ("本人", "Myself"),
    "consent.purpose.credit_terms": ("查询碳挂钩贷款条件", "Read carbon-linked loan terms"),
    "consent.purpose.credit_report": ("出具碳征信报告", "Issued a carbon credit report"),
    "consent.purpose.read_report_json": ("读取碳征信报告（接口）", "Read a carbon credit report (API)"),
    "consent.purpose.read_report_pdf": ("下载碳征信报告（PDF）", "Downloaded a carbon credit report (PDF)"),
    "consent.purpose.read_report_page": ("查看碳征信报告（网页）", "Viewed a carbon credit report (page)"),
    "consent.purpose.read_grade": ("查询个人绿色信用等级", "Read the personal green-credit grade"),
}
