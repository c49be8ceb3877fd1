"""Residents' identifiers: validated, keyed-hashed for lookup, masked for display, never kept in clear.

A resident identity card number (居民身份证号码, GB 11643-1999) has 18 characters:
a 6-digit administrative division code, the birth date ``YYYYMMDD``, a 3-digit sequence
and an ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``). ``stdnum.cn.ric``
checks all of it, including that the division existed in the birth year.

greenfin stores only:

* ``id_hash`` — HMAC-SHA256 of the normalised number keyed with ``Settings.secret_key``
  (lowercase hex). Without the key the hash cannot be reversed by enumerating the ~10^11
  plausible numbers, and the same number always gives the same hash, so intake files can
  be matched to accounts with a join.
* ``id_masked`` — the first 4 and last 4 characters: ``330802199001011234`` →
  ``3308**********1234``.

Worked example (key ``"k"``)::

    >>> normalise_id_number(" 33080219900101123x ")   # when valid
    '33080219900101123X'
    >>> mask_id_number("33080219900101123X")
    '3308**********123X'
    >>> mask_phone("13812345678"), mask_name("张三丰")
    ('138****5678', '张**')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
from datetime import date, timedelta

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from greenfin.errors import InvalidInput

# Divisions of Quzhou that existed from 1989 on (stdnum checks the division against the birth year).
QUZHOU_DIVISIONS = ("330802", "330822", "330824", "330825", "330881")


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid resident ID number, or None when it is."""
    try:
        ric.validate(value)
    except ValidationError as exc:
        return f"not a valid resident ID number ({str(exc).lower().rstrip('.')})"
    return None


_PLAIN_ID = re.compile(r"[0-9]{17}[0-9Xx]")


def compact_id_number(value: str) -> str:
    """The form accounts are keyed on (stdnum's compact: full-width digits folded, upper case), unchecked."""
    if len(value) == 18 and _PLAIN_ID.fullmatch(value):  # the usual case, without stdnum's cleaning (~25 µs)
        return value.upper()
    return str(ric.compact(value))


def normalise_id_number(value: str) -> str:
    """The canonical form (no spaces, upper-case X), or InvalidInput saying what is wrong."""
    problem = id_number_problem(value)
    if problem is not None:
        raise InvalidInput(problem, errors=[{"field": "id_number", "reason": problem}])
    return ric.compact(value)


def id_hash(id_number: str, secret_key: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of an already normalised ID number."""
    return hmac.new(secret_key.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def hasher(secret_key: str):  # type: ignore[no-untyped-def]
    """A fast ``id_number -> hash`` function for bulk paths (the key's HMAC state is reused)."""
    base = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)

    def digest(id_number: str) -> str:
        h = base.copy()
        h.update(id_number.encode())
        return h.hexdigest()

    return digest


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


def synthetic_id_number(rng: random.Random, sequence: int) -> str:
    """A valid, deterministic ID number of a Quzhou-born synthetic resident (demo and benchmarks).

    Division from :data:`QUZHOU_DIVISIONS`, birth date between 1990 and 2005, the 3-digit
    sequence ``sequence % 1000`` and the MOD 11-2 check character. Different ``sequence``
    values with the same random draws collide only if division and birth day also match;
    callers that need uniqueness check it.
    """
    division = rng.choice(QUZHOU_DIVISIONS)
    born = date(1990, 1, 1) + timedelta(days=rng.randrange(16 * 365))
    body = f"{division}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def synthetic_id_numbers(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct synthetic ID numbers, in the order :func:`synthetic_id_number` draws them."""
    numbers: dict[str, None] = {}
    sequence = 0
    while len(numbers) < count:
        numbers.setdefault(synthetic_id_number(rng, sequence))
        sequence += 1
    return list(numbers)
