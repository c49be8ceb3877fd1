"""Label rules of the industrial carbon account: grading, explanation and the way up.

"三维四色": an enterprise-year is graded on three dimensions into four colours.

* horizontal (行业先进性): ``K = intensity ÷ benchmark``, the benchmark being the average
  intensity of the enterprise's industry peers in the region (or an official benchmark);
* vertical (历史下降): the year-on-year change of the same intensity;
* regional contribution (区域贡献度): the enterprise's share of the region's year-on-year
  reduction, shown beside the label (it does not change the colour in v1).

Rule of methodology v1 (every threshold is data, see ``data/methodology/v1.toml``)::

    红   red          K > 2.0
    深绿 dark green   K ≤ 0.8 and intensity falling     (yoy change < 0)
    浅绿 light green  K ≤ 1.2 and intensity not rising  (yoy change ≤ 0)
    黄   yellow       otherwise

Worked example: intensity 0.9 tCO2/万元 (900,000 g), benchmark 1.0 (1,000,000 g), last year
1.0 → K = 0.9, change −10 %: not ≤ 0.8, so not dark green; ≤ 1.2 and not rising → 浅绿.
To reach 深绿 it must cut intensity to ≤ 0.8 tCO2/万元, by 11.2 %.

What is compared, precisely: the grade is decided on the **stored integers**, each rounded
half up to a whole gram per 10,000 yuan — the intensity ``I = round(CO2_g × 10^6 ÷ basis_fen)``,
last year's ``P`` the same way, the benchmark ``B = round(Σ peers' CO2_g × 10^6 ÷ Σ peers'
basis_fen)`` (above 9 × 10^12 fen of summed basis: ``round(Σ CO2_g × 1000 ÷ (Σ fen ÷ 1000))``,
a relative error below 10^-9). Given those integers, each threshold is tested without further
rounding by integer cross-multiplication (``I × 1000 ≤ 800 × B``; falling: ``(I − P) × 10000 <
0 × P``), in the SQL batch and here alike, so the two always agree. They are *not* the exact
fractions of the raw data: an enterprise within half a gram per 万元 (5 × 10^-7 t) of a
threshold may be graded on the rounded side (e.g. an exact intensity of 800,000.4 g against a
benchmark of exactly 1,000,000 g counts as K = 0.8). Comparing the exact fractions would take
products of four 64-bit sums (beyond 2^63, and SQLite has no wider integer). The methodology
(docs/methodology/industry.md §4) documents this rounding. Pure: no database, no web.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from greenfin.industry.methodology import LABEL_NAMES, LABELS, Methodology

G_PER_T = 1_000_000
FEN_PER_WAN = 1_000_000  # 10,000 yuan = 1,000,000 fen


def div_round(numerator: int, denominator: int) -> int:
    """``numerator ÷ denominator`` rounded half up, for non-negative integers (as the SQL does)."""
    return (numerator + denominator // 2) // denominator


def intensity_g_per_wan(co2_g: int, value_fen: int | None) -> int | None:
    """Grams of CO2 per 10,000 yuan of a value; None unless the value is positive."""
    if value_fen is None or value_fen <= 0:
        return None
    return div_round(co2_g * FEN_PER_WAN, value_fen)


def intensity_g_per_unit(co2_g: int, output_milli: int | None) -> int | None:
    """Grams of CO2 per unit of product; None unless the output is positive."""
    if output_milli is None or output_milli <= 0:
        return None
    return div_round(co2_g * 1000, output_milli)


def k_milli(intensity_g: int | None, benchmark_g: int | None) -> int | None:
    """K = intensity ÷ benchmark in thousandths (rounded half up); None when undefined."""
    if intensity_g is None or not benchmark_g:
        return None
    return div_round(intensity_g * 1000, benchmark_g)


def yoy_bp(intensity_g: int | None, previous_g: int | None) -> int | None:
    """Year-on-year change of intensity in basis points, truncated toward zero (as SQL)."""
    if intensity_g is None or not previous_g:
        return None
    change = (intensity_g - previous_g) * 10_000
    return abs(change) // previous_g * (1 if change >= 0 else -1)


def tonnes(grams: int | None, places: str = "0.000001") -> Decimal | None:
    """Grams as tonnes (exact to the gram, 6 places)."""
    return None if grams is None else (Decimal(grams) / G_PER_T).quantize(Decimal(places))


@dataclass(frozen=True)
class Figures:
    """What the grade of one enterprise-year depends on."""

    intensity_g: int | None  # g CO2 per 10,000 yuan of the methodology's basis
    previous_g: int | None  # the same, previous year
    benchmark_g: int | None
    benchmark_source: str = ""
    peer_group: str = ""
    peer_count: int = 0
    region_contribution_bp: int | None = None


def _falling(f: Figures, m: Methodology) -> bool | None:
    if f.intensity_g is None or f.previous_g is None:
        return None
    return (f.intensity_g - f.previous_g) * 10_000 < m.dark_green_yoy_below_bp * f.previous_g


def _not_rising(f: Figures, m: Methodology) -> bool | None:
    if f.intensity_g is None or f.previous_g is None:
        return None
    return (f.intensity_g - f.previous_g) * 10_000 <= m.light_green_yoy_max_bp * f.previous_g


def _k_at_most(f: Figures, k: int) -> bool | None:
    if f.intensity_g is None or f.benchmark_g is None:
        return None
    return f.intensity_g * 1000 <= k * f.benchmark_g


def gradable(f: Figures) -> bool:
    """Both the intensity and a benchmark are known."""
    return f.intensity_g is not None and f.benchmark_g is not None


def grade(f: Figures, m: Methodology) -> str:
    """The label of an enterprise-year under methodology ``m``."""
    if not gradable(f):
        return m.ungradable_label
    if not _k_at_most(f, m.red_k_above_milli):
        return "red"
    falling = _falling(f, m)
    not_rising = _not_rising(f, m)
    if not_rising is None:
        not_rising = m.no_history_counts_as_not_rising
    if _k_at_most(f, m.dark_green_k_milli) and falling:
        return "dark_green"
    if _k_at_most(f, m.light_green_k_milli) and not_rising:
        return "light_green"
    return "yellow"


@dataclass(frozen=True)
class Check:
    rule: str
    label: str
    value: str
    met: bool | None


@dataclass(frozen=True)
class NextStep:
    label: str
    target_g: int | None
    cut_pct: Decimal | None
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Explanation:
    label: str
    k_milli: int | None
    yoy_bp: int | None
    checks: tuple[Check, ...]
    reason_zh: str
    reason_en: str
    next_step: NextStep | None


def _k_text(value: int) -> str:
    return str((Decimal(value) / 1000).normalize() if value % 1000 else Decimal(value // 1000).quantize(Decimal("0.0")))


def _t(grams: int) -> str:
    return str((Decimal(grams) / G_PER_T).quantize(Decimal("0.0001"), rounding=ROUND_DOWN))


def _pct_bp(bp: int) -> str:
    return f"{Decimal(bp) / 100:+.2f}%"


def _cut(intensity: int, target: int) -> Decimal:
    return (Decimal(intensity - target) * 100 / intensity).quantize(Decimal("0.1"), rounding=ROUND_CEILING)


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _next_step(label: str, f: Figures, m: Methodology) -> NextStep | None:
    if label == "dark_green":
        return None
    if not gradable(f):
        better = LABELS[max(0, LABELS.index(m.ungradable_label) - 1)]
        return NextStep(
            better,
            None,
            None,
            f"报告年度工业增加值等数据（{m.basis} > 0）后方可评价",
            f"report the annual figures ({m.basis} > 0) to be graded",
        )
    assert f.intensity_g is not None and f.benchmark_g is not None
    intensity, bench = f.intensity_g, f.benchmark_g
    bounds: list[int] = []
    note_zh = note_en = ""
    if label == "red":
        better = "yellow"
        bounds.append(m.red_k_above_milli * bench // 1000)
    elif label == "yellow":
        better = "light_green"
        bounds.append(m.light_green_k_milli * bench // 1000)
        if f.previous_g is not None:
            bounds.append(f.previous_g * (10_000 + m.light_green_yoy_max_bp) // 10_000)
        elif not m.no_history_counts_as_not_rising:
            note_zh, note_en = "，且需有上年数据", ", with a previous year on record"
    else:
        better = "dark_green"
        bounds.append(m.dark_green_k_milli * bench // 1000)
        if f.previous_g is not None:
            bounds.append(_ceil_div(f.previous_g * (10_000 + m.dark_green_yoy_below_bp), 10_000) - 1)
        else:
            # No history: dark green needs a measured fall, so next year below this year's.
            bounds.append(intensity - 1)
            note_zh, note_en = "（需与上年相比下降）", " (a fall on the previous year is needed)"
    target = max(0, min(bounds))
    cut = _cut(intensity, target) if intensity > 0 else Decimal(0)
    zh_name, en_name = LABEL_NAMES[better]
    return NextStep(
        better,
        target,
        cut,
        f"碳排放强度降低 {cut}% 至 ≤ {_t(target)} tCO2/万元{note_zh}，可达{zh_name}",
        f"cut intensity by {cut}% to ≤ {_t(target)} tCO2/万元 to reach {en_name}{note_en}",
    )


def explain(f: Figures, m: Methodology, label: str | None = None) -> Explanation:
    """Figures, thresholds crossed and what would move the enterprise to the next label."""
    label = label or grade(f, m)
    k = k_milli(f.intensity_g, f.benchmark_g)
    change = yoy_bp(f.intensity_g, f.previous_g)
    k_shown = "K = n/a" if k is None else f"K = {Decimal(k) / 1000:.3f}"
    yoy_shown = "n/a (no previous year)" if change is None else _pct_bp(change)
    falling, not_rising = _falling(f, m), _not_rising(f, m)
    red = _k_at_most(f, m.red_k_above_milli)
    checks = (
        Check(f"K ≤ {_k_text(m.dark_green_k_milli)}", "dark_green", k_shown, _k_at_most(f, m.dark_green_k_milli)),
        Check(f"yoy change < {Decimal(m.dark_green_yoy_below_bp) / 100}%", "dark_green", yoy_shown, falling),
        Check(f"K ≤ {_k_text(m.light_green_k_milli)}", "light_green", k_shown, _k_at_most(f, m.light_green_k_milli)),
        Check(f"yoy change ≤ {Decimal(m.light_green_yoy_max_bp) / 100}%", "light_green", yoy_shown, not_rising),
        Check(f"K > {_k_text(m.red_k_above_milli)}", "red", k_shown, None if red is None else not red),
    )
    zh, en = LABEL_NAMES[label]
    if not gradable(f):
        reason_zh = f"缺少正的{m.basis}或基准，无法计算 K：暂评为{zh}"
        reason_en = f"no positive {m.basis} or no benchmark, so K cannot be computed: {en} until reported"
    else:
        yoy_zh = "无上年数据" if change is None else yoy_shown
        reason_zh = f"{k_shown}，强度同比 {yoy_zh}：{zh}"
        reason_en = f"{k_shown}, intensity year on year {yoy_shown}: {en}"
    return Explanation(label, k, change, checks, reason_zh, reason_en, _next_step(label, f, m))


def share_pct(part: int, whole: int) -> Decimal:
    """``part`` as a percentage of ``whole`` (2 places, half-even); 0 when whole is 0."""
    if whole == 0:
        return Decimal("0.00")
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
