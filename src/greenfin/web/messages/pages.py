"""Messages of the pages area (issue 12): the farm's navigation, reports, lists, confirmations."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.farm_account": ("{name} 农业碳账户", "{name}: farm account"),
    "nav.farm_what_if": ("{name} 减排试算", "{name}: what-if"),
}
