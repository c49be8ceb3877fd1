"""Carbon labels (三维四色) and green grades: one set of codes and names for every account.

An industrial account gets one of four labels, an agricultural account one of the best
three; a resident's green-credit grade is 浅绿 / 中绿 / 深绿. 深绿 is ``dark_green``
everywhere (label or grade), so finance, pages and reports speak of one code per colour.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

LABELS: Final = ("dark_green", "light_green", "yellow", "red")
"""The four labels of the industrial account, best first."""

AGRICULTURAL_LABELS: Final = ("dark_green", "light_green", "yellow")
"""The three labels of the agricultural account, best first."""

GRADES: Final = ("dark_green", "mid_green", "light_green")
"""The personal account's green-credit grades, best first (codes of personal/data/grade_bands)."""

LABEL_NAMES: Final = MappingProxyType(
    {
        "dark_green": ("深绿", "dark green"),
        "light_green": ("浅绿", "light green"),
        "mid_green": ("中绿", "mid green"),
        "yellow": ("黄", "yellow"),
        "red": ("红", "red"),
    }
)
"""Chinese and English names of every label and grade code."""
