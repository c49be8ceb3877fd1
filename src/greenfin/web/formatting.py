"""How numbers read on the pages: money, emissions, standard coal, shares — in both languages.

Chinese pages follow Chinese statistical conventions: money in 万元 (10^4 yuan) or 亿元
(10^8 yuan), large emissions in 万吨 (10^4 t); English pages use the international
million / billion steps. Thousands are separated by commas in both languages, as in
official Chinese statistics. Exact inputs only (integers, ``Decimal``); rounding is
half-up, to the decimals shown.

Worked examples (the paper's green-loan balance is 1181.58 亿元 = 11,815,800,000,000 fen)::

    money(11_815_800_000_000, "zh")  -> "1,181.58 亿元"
    money(11_815_800_000_000, "en")  -> "118.16 bn yuan"
    money(12_345_600, "zh")          -> "12.35 万元"
    tco2(Decimal("14150.75"), "zh")  -> "14,151 tCO₂"  (four digits before the point: no decimals)
    tco2(Decimal("23456789"), "zh")  -> "2,345.68 万 tCO₂"
    share(Decimal("0.3646"))         -> "36.5%"
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from greenfin.clock import BEIJING

Number = int | Decimal | float | str

"""Beijing time (UTC+8, no daylight saving since 1991): the time every person reads on greenfin."""

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_MILLION = Decimal(1_000_000)
_BILLION = Decimal(1_000_000_000)


def to_decimal(value: Any) -> Decimal | None:
    """``value`` as an exact Decimal (floats through their shortest repr), or None if it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def grouped(value: Any, decimals: int = 0) -> str:
    """``value`` rounded half-up to ``decimals`` places, with comma thousands separators."""
    number = to_decimal(value)
    if number is None:
        return "—"
    quantum = Decimal(1).scaleb(-decimals)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.00"
    return f"{rounded:,.{decimals}f}"


def money(fen: Any, lang: str = "zh") -> str:
    """Money given in integer fen, in the language's big-number steps."""
    amount = to_decimal(fen)
    if amount is None:
        return "—"
    yuan = amount / 100
    size = abs(yuan)
    if lang == "zh":
        if size >= _YI:
            return f"{grouped(yuan / _YI, 2)} 亿元"
        if size >= _WAN:
            return f"{grouped(yuan / _WAN, 2)} 万元"
        return f"{grouped(yuan, 2)} 元"
    if size >= _BILLION:
        return f"{grouped(yuan / _BILLION, 2)} bn yuan"
    if size >= _MILLION:
        return f"{grouped(yuan / _MILLION, 2)} m yuan"
    return f"{grouped(yuan, 2)} yuan"


def _quantity_decimals(size: Decimal) -> int:
    if size >= 1000:
        return 0
    if size >= 1:
        return 2
    return 3


def tonnes(value: Any, unit: str, lang: str = "zh") -> str:
    """A quantity in tonnes of something (``unit`` e.g. "tCO₂", "tce"), with sensible decimals."""
    number = to_decimal(value)
    if number is None:
        return "—"
    size = abs(number)
    if size >= _MILLION:
        if lang == "zh":
            return f"{grouped(number / _WAN, 2)} 万 {unit}"
        return f"{grouped(number / _MILLION, 2)} M{unit}"
    return f"{grouped(number, _quantity_decimals(size))} {unit}"


def tco2(value: Any, lang: str = "zh") -> str:
    """Tonnes of CO2."""
    return tonnes(value, "tCO₂", lang)


def tce(value: Any, lang: str = "zh") -> str:
    """Tonnes of standard coal equivalent (折标准煤)."""
    return tonnes(value, "tce", lang)


def quantity(value: Any) -> str:
    """A plain quantity (energy consumed, in its own unit) with sensible decimals."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return grouped(number, _quantity_decimals(abs(number)))


def share(value: Any, decimals: int = 1) -> str:
    """A fraction (0.3646) as a percentage ("36.5%")."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return f"{grouped(number * 100, decimals)}%"


def yuan(value: Any, lang: str = "zh") -> str:
    """Money given in yuan (an exact Decimal), like :func:`money`."""
    number = to_decimal(value)
    return "—" if number is None else money(number * 100, lang)


def percent(value: Any, decimals: int = 1) -> str:
    """A value already in percent (36.46) as "36.5%"."""
    number = to_decimal(value)
    return "—" if number is None else f"{grouped(number, decimals)}%"


def signed_percent(value: Any, decimals: int = 1) -> str:
    """A change already in percent, with its sign ("+4.2%", "−3.0%")."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return signed_share(number / 100, decimals)


def signed_share(value: Any, decimals: int = 1) -> str:
    """A change given as a fraction, with its sign ("+4.2%", "−3.0%")."""
    number = to_decimal(value)
    if number is None:
        return "—"
    text = share(abs(number), decimals)
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"
    return text


def integer(value: Any) -> str:
    """A count with thousands separators."""
    return grouped(value, 0)


def chart_number(value: Any, decimals: int = 2) -> float | None:
    """A number for a chart's JSON (ECharts wants floats; rounded so the JSON stays exact-looking)."""
    number = to_decimal(value)
    if number is None:
        return None
    return float(number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def beijing_time(value: Any, lang: str = "zh", *, seconds: bool = False) -> str:
    """A moment (an aware datetime or ISO 8601 text with its offset) as Beijing time.

    ``beijing_time("2025-03-01T00:00:00+00:00")`` → ``"2025-03-01 08:00 北京时间"``; a naive
    datetime is taken as UTC (how the database stores moments). A date stays a date.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, datetime):
        return str(value)
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    text = moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} 北京时间" if lang == "zh" else f"{text} Beijing time"


def rate_bp(value: Any, decimals: int = 2) -> str:
    """A rate in basis points (435) as a percentage to two places ("4.35%")."""
    number = to_decimal(value)
    return "—" if number is None else f"{grouped(number / 100, decimals)}%"


def yuan_exact(fen: Any, lang: str = "zh") -> str:
    """Money in fen as yuan with separators and, from 1 万元 up, its 万元 / 亿元 reading.

    ``yuan_exact(100_000_000)`` → ``"1,000,000.00 元（100.00 万元）"`` (a credit file wants both).
    """
    amount = to_decimal(fen)
    if amount is None:
        return "—"
    exact = f"{grouped(amount / 100, 2)} {'元' if lang == 'zh' else 'yuan'}"
    if abs(amount) < 1_000_000:
        return exact
    return f"{exact}（{money(fen, lang)}）" if lang == "zh" else f"{exact} ({money(fen, lang)})"


_UNIT_WORDS_ZH = {"head": "头", "mu": "亩", "t product": "吨产品", "year": "年", "day": "天", "t": "吨"}
_UNIT_WORDS_EN = {"mu": "mu"}


def unit_text(unit: str | None, lang: str = "zh") -> str:
    """A unit written the way a reader expects: "kg CO2e / head" → "kg CO₂e/头", "10^4 Nm3" → "万Nm³".

    Subscripts and superscripts are set (CO₂, N₂O, CH₄, m³); on Chinese pages the counted
    things are named in Chinese (头, 亩, 吨产品) and 10^4 is 万.
    """
    if not unit:
        return ""
    text = unit.strip()
    if lang == "zh":
        text = text.replace("10^4 ", "万").replace("10^4", "万").replace("10^8 ", "亿").replace("10^8", "亿")
    else:
        text = text.replace("10^4 ", "10⁴ ").replace("10^8 ", "10⁸ ")
    for plain, set_ in (("CO2", "CO₂"), ("N2O", "N₂O"), ("CH4", "CH₄"), ("Nm3", "Nm³"), ("m3", "m³")):
        text = text.replace(plain, set_)
    parts = [part.strip() for part in text.split("/")]
    if lang == "zh":
        parts = [parts[0], *(_UNIT_WORDS_ZH.get(part, part) for part in parts[1:])]
        return "/".join(parts)
    return " / ".join(parts)


def name_code(name: Any, code: Any, lang: str = "zh") -> str:
    """A name first and its code second: "衢江区（330803）", "Qujiang District (330803)"."""
    if not name:
        return str(code or "—")
    if not code or code == name:
        return str(name)
    return f"{name}（{code}）" if lang == "zh" else f"{name} ({code})"


def has_chinese(text: str | None) -> bool:
    """Whether ``text`` holds a Chinese character (a sentence meant for a Chinese page)."""
    return any("\u4e00" <= char <= "\u9fff" for char in text or "")


# Canonical units of the factor set → the unit the industrial account shows, and the divisor.
_ACCOUNT_UNITS = {
    "kg": ("t", 1000),
    "kWh": ("MWh", 1000),
    "MJ": ("GJ", 1000),
    "Nm3": ("10^4 Nm3", 10_000),
    "m3": ("10^4 m3", 10_000),
}


def account_quantity(value: Any, lang: str = "zh", unit: str | None = None) -> str:
    """An energy quantity in the unit the industrial account uses: kg → t, kWh → MWh, MJ → GJ, Nm³ → 万Nm³."""
    number = to_decimal(value)
    if number is None:
        return "—"
    shown, divisor = _ACCOUNT_UNITS.get(unit or "", (unit or "", 1))
    return f"{quantity(number / divisor)} {unit_text(shown, lang)}".rstrip()


def tonnes_scale(values: list[Any], unit: str, lang: str = "zh") -> tuple[Decimal, str]:
    """The divisor and unit a chart of tonnes uses so its axis reads as the headlines do (:func:`tonnes`):
    from a million tonnes up, 万 tCO₂ on Chinese pages and MtCO₂ on English ones; plain tonnes below."""
    largest = max((abs(n) for n in (to_decimal(v) for v in values) if n is not None), default=Decimal(0))
    if largest < _MILLION:
        return Decimal(1), unit
    return (_WAN, f"万 {unit}") if lang == "zh" else (_MILLION, f"M{unit}")


_TEXT_UNITS_ZH = (
    ("kg CO2e / head", "kg CO₂e/头"),
    ("kg CO2e / mu", "kg CO₂e/亩"),
    ("kg CO2e / t product", "kg CO₂e/吨产品"),
    ("kg CO2e", "kg CO₂e"),
    ("tCO2", "tCO₂"),
)
_FORMULA_WORDS_ZH = (  # longest first: a symbol inside another is replaced after it
    ("EF_CH4,manure", "粪便管理甲烷排放因子"),
    ("EF_N2O,manure", "粪便管理氧化亚氮排放因子"),
    ("EF_CH4(g/kg)", "焚烧甲烷排放因子(g/kg)"),
    ("EF_N2O(g/kg)", "焚烧氧化亚氮排放因子(g/kg)"),
    ("MCF_digester", "沼气池甲烷转化因子"),
    ("EF3_digester", "沼气池氧化亚氮排放因子"),
    ("NCV_CH4", "甲烷低位热值"),
    ("FracLEACH", "淋溶径流比例"),
    ("FracGASF", "化肥氨挥发比例"),
    ("FracGASM", "有机肥氨挥发比例"),
    ("GWP_N2O", "氧化亚氮全球增温潜势"),
    ("GWP_CH4", "甲烷全球增温潜势"),
    ("N_before", "替代前化肥氮(kg)"),
    ("N_after", "替代后化肥氮(kg)"),
    ("burn share", "焚烧比例"),
    ("m3 produced", "产气量(m³)"),
    ("m3 used", "利用量(m³)"),
    ("CH4 share", "甲烷含量"),
    ("N_AG", "秸秆含氮率"),
    ("heads", "头数"),
    ("days", "天数"),
    ("EF1", "直接排放因子"),
    ("EF4", "挥发沉降排放因子"),
    ("EF5", "淋溶径流排放因子"),
    ("N%", "含氮率(%)"),
    ("DM", "干物质比例"),
    ("Cf", "燃烧效率"),
    ("VS", "挥发性固体"),
    ("B0", "最大产甲烷能力"),
    ("44/28", "44/28（N₂O-N 折 N₂O）"),
    ("44/12", "44/12（C 折 CO₂）"),
    ("Nex", "年排氮量"),
    ("CC", "单位热值含碳量"),
    ("OF", "碳氧化率"),
    ("t ×", "吨数 ×"),
)


def text_units(text: str | None, lang: str = "zh") -> str:
    """Units inside a sentence written the way a reader expects ("18.9 kg CO2e / head" → "18.9 kg CO₂e/头")."""
    result = text or ""
    if lang != "zh":
        return result.replace("CO2", "CO₂")
    for plain, shown in _TEXT_UNITS_ZH:
        result = result.replace(plain, shown)
    return result


def formula_text(formula: str | None, lang: str = "zh") -> str:
    """A methodology formula with its quantities and factors named in the page's language (English: symbols)."""
    result = formula or ""
    if lang == "zh":
        for plain, shown in _FORMULA_WORDS_ZH:
            result = result.replace(plain, shown)
    return result


def citation(source: str | None, lang: str = "zh") -> str:
    """A number's source as a Chinese page shows it: standards and Chinese text as they are, greenfin's
    own English assumptions as "平台假设" (the methodology document gives the reasoning)."""
    text = source or ""
    if lang != "zh" or not text.lower().startswith("assumption"):
        return text
    return "平台假设（理由见方法学文档）"
