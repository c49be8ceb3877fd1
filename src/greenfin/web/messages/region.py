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
}
