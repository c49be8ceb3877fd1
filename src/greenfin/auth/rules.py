"""Pure rules of the auth layer: keyed identity, the password policy and the reach of an API key's scope.

**Keyed identity.** Residents' ID numbers validated, keyed-hashed for lookup, masked for display.

One home for every domain that meets a person's identifier (personal accounts, farm
holders, borrowers to come); nothing else hashes or masks an ID number.

A resident identity card number (居民身份证号码, GB 11643-1999) has 18 characters: a
6-digit administrative division code, the birth date ``YYYYMMDD``, a 3-digit sequence and
an ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``). A number **keeps the division
code under which it was first issued**: a 江山 resident born in 1962 holds ``330881…``
although 江山市 got that code in 1987, and numbers issued under codes since retired stay
valid. So a number is accepted when its date is a real date not in the future, its check
character is right and its first two digits are a province-level code (11–15, 21–23,
31–37, 41–46, 50–54, 61–65, 71, 81, 82); the rest of the division code is not checked.

greenfin stores only:

* ``id_hash`` — HMAC-SHA256 of the normalised number keyed with ``Settings.secret_key``
  (lowercase hex). Without the key the hash cannot be reversed by enumerating the ~10^11
  plausible numbers, and the same number always gives the same hash, so intake files can
  be matched to accounts with a join.
* ``id_masked`` — the first 4 and last 4 characters: ``330802199001011234`` →
  ``3308**********1234``.

Worked example (check character of ``33088119620315002``: the weights 7 9 10 5 8 4 2 1 6 3
7 9 10 5 8 4 2 times the 17 digits sum to 275, 275 mod 11 = 0, and position 0 of
``10X98765432`` is ``1``)::

    >>> id_number_problem("330881196203150021") is None
    True
    >>> normalise_id_number(" 33088119620315002１ ")   # full-width digits folded
    '330881196203150021'
    >>> mask_id_number("33080219900101123X")
    '3308**********123X'
    >>> mask_phone("13812345678"), mask_name("张三丰")
    ('138****5678', '张**')

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

import base64
import hashlib
import hmac
import random
import re
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from greenfin.carbon.rules import PROVINCES
from greenfin.clock import beijing_today
from greenfin.errors import InvalidInput

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


# ISO 7064 MOD 11-2 as GB 11643 applies it: weight 2^(17-i) mod 11 for the i-th of 17 digits.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"

_PLAIN_ID = re.compile(r"[0-9]{17}[0-9Xx]")

ID_NUMBER_REASONS: dict[str, str] = {
    "length": "a resident ID number has 18 characters",
    "characters": "a resident ID number is 17 digits and a check character 0-9 or X",
    "province": "its first two digits are not a province-level code (11-65, 71, 81, 82)",
    "date": "its birth date (characters 7-14) is not a real date",
    "future": "its birth date (characters 7-14) is in the future",
    "check": "its check character (the 18th) is wrong",
}
"""Why a number is refused, by reason code (pages show the catalogue's ``identity.id_number.<code>``)."""


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def compact_id_number(value: str) -> str:
    """The form accounts are keyed on (full-width characters folded, spaces and dashes dropped, upper case)."""
    if len(value) == 18 and _PLAIN_ID.fullmatch(value):  # the usual case, without the cleaning
        return value.upper()
    folded = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in folded if not ch.isspace() and ch != "-").upper()


def id_number_reason(value: str, *, today: date | None = None) -> str | None:
    """The reason code (a key of :data:`ID_NUMBER_REASONS`) why ``value`` is refused, or None when valid."""
    number = compact_id_number(value)
    if len(number) != 18:
        return "length"
    if not (number[:17].isascii() and number[:17].isdigit() and number[17] in "0123456789X"):
        return "characters"
    if number[:2] not in PROVINCES:
        return "province"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "date"
    if born > (today or beijing_today()):
        return "future"
    if id_check_character(number[:17]) != number[17]:
        return "check"
    return None


def id_number_problem(value: str, *, today: date | None = None) -> str | None:
    """Why ``value`` is not a valid resident ID number (one plain sentence), or None when it is."""
    reason = id_number_reason(value, today=today)
    return None if reason is None else f"not a valid resident ID number: {ID_NUMBER_REASONS[reason]}"


def normalise_id_number(value: str) -> str:
    """The canonical form (no spaces, upper-case X), or InvalidInput saying what is wrong.

    The error's ``message`` is the catalogue key a page shows (``identity.id_number.<reason>``).
    """
    reason = id_number_reason(value)
    if reason is not None:
        problem = f"not a valid resident ID number: {ID_NUMBER_REASONS[reason]}"
        raise InvalidInput(
            problem, errors=[{"field": "id_number", "reason": problem, "message": id_number_message(reason)}]
        )
    return compact_id_number(value)


def id_number_message(reason: str) -> str:
    """The catalogue key of a refusal reason (``identity.id_number.check``)."""
    return f"identity.id_number.{reason}"


def id_hash(id_number: str, secret_key: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of an already normalised ID number."""
    return hmac.new(secret_key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def hasher(secret_key: str) -> Callable[[str], str]:
    """A fast ``id_number -> hash`` function for bulk paths (the key's HMAC state is reused)."""
    base = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)

    def digest(id_number: str) -> str:
        h = base.copy()
        h.update(id_number.encode())
        return h.hexdigest()

    return digest


def mask_id_number(id_number: str) -> str:
    """First four and last four characters, the rest as asterisks."""
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """A mobile number with the middle four digits hidden (``138****5678``)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """The family name (first character) and one asterisk per further character."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is not a mainland mobile number (11 digits starting with 1), or None."""
    digits = phone.strip()
    if not (len(digits) == 11 and digits.isdigit() and digits[0] == "1"):
        return "not a mobile number (11 digits starting with 1)"
    return None


def synthetic_id_number(rng: random.Random, sequence: int, divisions: Sequence[str]) -> str:
    """A valid, deterministic ID number of a synthetic resident born in one of ``divisions`` (demo, benchmarks).

    Division drawn from ``divisions``, birth date between 1990 and 2005, the 3-digit
    sequence ``sequence % 1000`` and the MOD 11-2 check character. Different ``sequence``
    values with the same random draws collide only if division and birth day also match;
    callers that need uniqueness check it.
    """
    division = rng.choice(divisions)
    born = date(1990, 1, 1) + timedelta(days=rng.randrange(16 * 365))
    body = f"{division}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + id_check_character(body)


def synthetic_id_numbers(rng: random.Random, count: int, divisions: Sequence[str]) -> list[str]:
    """``count`` distinct synthetic ID numbers, in the order :func:`synthetic_id_number` draws them."""
    numbers: dict[str, None] = {}
    sequence = 0
    while len(numbers) < count:
        numbers.setdefault(synthetic_id_number(rng, sequence, divisions))
        sequence += 1
    return list(numbers)


VERIFICATION_TAG = b"greenfin.personal.open.v1"


def verification_code(id_number: str, secret_key: str, *, expires_on: date) -> str:
    """The code an operator hands a resident whose ID card was checked: ``YYYYMMDD-`` and 12 letters.

    HMAC-SHA256 keyed with the secret over a purpose tag, the canonical ID number and the last
    day the code is good for: without the key no code can be made, and a code opens an account
    for that number only, until that day (Asia/Shanghai) ends.
    """
    day = f"{expires_on:%Y%m%d}"
    mac = hmac.new(secret_key.encode(), b"|".join([VERIFICATION_TAG, id_number.encode(), day.encode()]), "sha256")
    return f"{day}-{base64.b32encode(mac.digest()).decode()[:12]}"


def verification_code_matches(id_number: str, code: str, secret_key: str, *, today: date) -> bool:
    """Whether ``code`` is this canonical ID number's code and still good on ``today``."""
    day, _, _ = code.strip().upper().partition("-")
    try:
        expires_on = date(int(day[:4]), int(day[4:6]), int(day[6:8]))
    except ValueError:
        return False
    if len(day) != 8 or expires_on < today:
        return False
    expected = verification_code(id_number, secret_key, expires_on=expires_on)
    return hmac.compare_digest(expected.encode(), code.strip().upper().encode())
