"""Page plumbing that needs no browser: redirects stay on the site, languages fall back to Chinese."""

from __future__ import annotations

import pytest

from greenfin.web.pages import login_url, safe_next


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/industry/overview?year=2024", "/industry/overview?year=2024"),
        ("/", "/"),
        (None, "/home"),
        ("", "/home"),
        ("//evil.example/", "/home"),  # protocol-relative: another site
        ("https://evil.example/", "/home"),
        ("/\\evil.example", "/home"),  # browsers read a backslash as a slash
        ("home", "/home"),
        pytest.param("/\t/evil.example", "/home", id="tab"),  # control characters: refused outright
        pytest.param("/ok\x00", "/home", id="nul"),
    ],
)
def test_next_stays_on_this_site(given: str | None, kept: str) -> None:
    assert safe_next(given) == kept


def test_the_login_url_carries_the_way_back() -> None:
    assert login_url("/industry/overview?year=2024") == "/login?next=/industry/overview%3Fyear%3D2024"
