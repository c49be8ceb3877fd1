"""Messages of data provenance and conflicts (issue 16: trust)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "trust.conflicts_title": ("待裁决的数据冲突", "Data conflicts awaiting a decision"),
    "trust.conflicts_lead": (
        "以下数据的权威等级低于正在使用的数据（申报 < 计量 < 核查），且数值不同：它们被保留备查，"
        "不计入碳账户、贴标和碳征信报告，直至监管部门裁决。",
        "These figures rank below the figures in use (declared < metered < audited) and differ from them: they "
        "are kept for review and count in neither the account, the label nor the credit report until the "
        "regulator decides.",
    ),
    "trust.item": ("数据项", "Item"),
    "trust.held": ("待裁决数据", "Figure held aside"),
    "trust.in_use": ("使用中的数据", "Figure in use"),
    "trust.source": ("来源", "Source"),
    "trust.decision": ("裁决", "Decision"),
    "trust.accept": ("采用待裁决数据", "Use the held figure"),
    "trust.reject": ("驳回", "Reject"),
    "trust.note": ("裁决理由", "Reason"),
    "trust.note_placeholder": (
        "例如：核查机构更正报告（2025年3月）",
        "e.g. the verifier's corrected report (March 2025)",
    ),
    "trust.resolved_accept": (
        "已采用该数据；重新贴标后标签随之更新。",
        "The held figure is now in use; the label follows at the next labelling run.",
    ),
    "trust.resolved_reject": ("已驳回该数据；使用中的数据不变。", "Rejected; the figure in use stays."),
    "trust.energy_month": ("{energy}（{month}）", "{energy} ({month})"),
    "trust.annual": ("年度经济数据", "Annual figures"),
    "trust.annual_value": ("产值 {output} 元，增加值 {added} 元", "output {output} yuan, added value {added} yuan"),
    "trust.beijing_time": ("北京时间", "Beijing time"),
    "error.input_nul": (
        "提交的内容中含有不可见的空字符（NUL），系统不接受；请删除后重新填写提交。",
        "What you sent holds an invisible NUL character, which no field accepts; remove it and submit again.",
    ),
    "error.input_too_large": (
        "提交的内容超过了允许的大小；请缩小文件或分批提交。",
        "What you sent is larger than allowed; send a smaller file or several smaller ones.",
    ),
    "error.url_too_long": (
        "网址过长，无法处理；请缩短筛选条件后重试。",
        "The address is too long; use fewer filters and try again.",
    ),
    "agri.conflicts_lead": (
        "以下数据的可信等级低于该年度已采用的数据，已保存但未计入碳账户；由监管部门核实后采纳或驳回。",
        "These figures rank below the year's figures in use: they are kept but not counted until a regulator "
        "accepts or rejects them.",
    ),
    "agri.conflict_year": ("年度与内容", "Year and content"),
    "agri.conflict_year_value": ("{year} 年", "{year}"),
    "agri.conflict_baseline": ("基线与实践记录", "baseline and practice records"),
    "agri.conflict_records": ("实践记录", "practice records"),
    "fin.source_line": (
        "数据来源：{kind} {rows} 条，{quality}，由 {who} 于 {when} 导入",
        "Source: {rows} {kind} row(s), {quality}, imported by {who} at {when}",
    ),
    "fin.source_kind.energy": ("能耗", "energy"),
    "fin.source_kind.process": ("工艺排放", "process emissions"),
    "fin.source_kind.annual": ("年度经营数据", "annual figures"),
    "fin.source_kind.baseline": ("基线与实践记录", "baseline and practice records"),
    "fin.source_kind.records": ("实践记录", "practice records"),
    "fin.conflict_line": (
        "待裁决的数据冲突：{item}，{who} 于 {when} 报送的{held}数据与在用的{current}数据不一致，未计入本报告",
        "Open conflict: {item}, {held} figures sent by {who} at {when} differ from the {current} figures in use; "
        "not counted in this report",
    ),
    "fin.no_conflicts": ("待裁决的数据冲突：无", "Open conflicts: none"),
    "admin.raw_record": ("查看原始记录（系统字段）", "Show the stored record (system fields)"),
}
