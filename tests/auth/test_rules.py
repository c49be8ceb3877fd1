"""The password policy and the reach of a key's region, as tables of cases worked by hand."""

from __future__ import annotations

import pytest

from greenfin.auth import rules


@pytest.mark.parametrize(
    ("password", "username", "problems"),
    [
        ("123456789", "bank01", ["too_short"]),  # 9 characters
        ("lvse-jinrong-88", "bank01", []),  # 15 characters, not common, no username
        ("bank01-password", "bank01", ["username"]),
        ("BANK01BANK01", "bank01", ["username"]),  # case does not hide the username
        ("1234567890", "teller", ["common"]),
        ("Qwertyuiop", "teller", ["common"]),  # the list is compared case-insensitively
        ("greenfin-demo", "teller", ["common"]),  # the demo's password is no real one
        ("lvse-ab-2026", "ab", []),  # a two-letter username is not looked for inside
        ("x" * 257, "teller", ["too_long"]),
    ],
)
def test_password_policy(password: str, username: str, problems: list[str]) -> None:
    assert rules.password_problems(password, username=username) == problems


def test_the_common_list_is_loaded_case_folded() -> None:
    common = rules.common_passwords()
    assert len(common) > 50
    assert all(word == word.casefold() for word in common)


@pytest.mark.parametrize(
    ("region", "uscc", "county", "inside"),
    [
        ("330800", "91330881MA2XXXXXX1", None, True),  # 江山市 in 衢州市
        ("330800", "91330502MA2XXXXXX1", None, False),  # 吴兴区 in 湖州市
        ("330881", "91330881MA2XXXXXX1", None, True),
        ("330881", "91330802MA2XXXXXX1", None, False),
        ("330000", "91330502MA2XXXXXX1", None, True),  # 浙江省
        ("330800", None, "330822", True),  # a farm by its county
        ("330800", "farm-1234", None, False),  # no USCC, no county: outside every region
    ],
)
def test_region_reach(region: str, uscc: str | None, county: str | None, inside: bool) -> None:
    assert rules.in_region(region, uscc=uscc, county_code=county) is inside
