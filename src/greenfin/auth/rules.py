"""Pure rules of the auth layer: the password policy and the reach of an API key's scope.

**Password policy.** A password a person chooses (bootstrap, a new user, a reset, a change
of one's own, a self-service registration) has at least :data:`MIN_PASSWORD_LENGTH`
characters, is not and does not contain the username, and is not on the list of common
passwords shipped in ``data/common_passwords.toml``::

    >>> password_problems("lvse-jinrong-88", username="bank01", common=frozenset({"1234567890"}))
    []
    >>> password_problems("bank01-password", username="bank01", common=frozenset())
    ['username']
    >>> password_problems("short", username="x", common=frozenset())
    ['too_short']

The policy applies where a person sets a password; the hash function itself accepts any
password of 8 characters or more, so that fixtures and the demo keep their logins.

**Scope reach.** An API key limited to a region (a GB/T 2260 code, ``330800`` for a city,
``330881`` for a county) reaches an organisation whose unified social credit code was
issued there (characters 3–8 of the USCC are the registering authority's division code)
or a farm whose county is in it::

    >>> region_prefix("330800"), region_prefix("330881"), region_prefix("330000")
    ('3308', '330881', '33')
    >>> in_region("330800", uscc="91330881MA2XXXXXX1")
    True
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

# code -> (简体中文, English): shown by the CLI and the API, and merged into the page catalogue.
POLICY_MESSAGES: dict[str, tuple[str, str]] = {
    "too_short": (
        f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
        f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
    ),
    "too_long": (
        f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符。",
        f"The password may have at most {MAX_PASSWORD_LENGTH} characters.",
    ),
    "username": ("密码不能是用户名，也不能包含用户名。", "The password may not be or contain the username."),
    "common": (
        "这个密码太常见，很容易被猜到，请换一个。",
        "This password is too common and easy to guess; please choose another.",
    ),
}


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, case-folded."""
    data = tomllib.loads((Path(__file__).parent / "data" / "common_passwords.toml").read_text(encoding="utf-8"))
    if not data.get("source"):
        raise ValueError("common_passwords.toml: every list needs its source")
    return frozenset(word.casefold() for word in data["passwords"])


def password_problems(password: str, *, username: str | None, common: frozenset[str] | None = None) -> list[str]:
    """The policy's objections to ``password`` (codes of :data:`POLICY_MESSAGES`); empty if it passes."""
    common = common_passwords() if common is None else common
    if len(password) < MIN_PASSWORD_LENGTH:
        return ["too_short"]
    if len(password) > MAX_PASSWORD_LENGTH:
        return ["too_long"]
    problems = []
    folded = password.casefold()
    name = (username or "").strip().casefold()
    if name and (folded == name or (len(name) >= 3 and name in folded)):
        problems.append("username")
    if folded in common:
        problems.append("common")
    return problems


def region_prefix(region_code: str) -> str:
    """The leading digits a GB/T 2260 code shares with every division inside it."""
    code = region_code
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def in_region(region_code: str, *, uscc: str | None = None, county_code: str | None = None) -> bool:
    """Whether an organisation (by its USCC) or a farm (by its county) lies in ``region_code``."""
    prefix = region_prefix(region_code)
    if county_code:
        return county_code.startswith(prefix)
    if uscc and len(uscc) == 18:
        return uscc[2:8].startswith(prefix)
    return False
