"""Every resident's ID number: accepted on date, province and check character alone (GB 11643-1999).

Check characters are computed by hand here (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3
7 9 10 5 8 4 2, sum mod 11 indexes ``10X98765432``), never by the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest

from greenfin.auth import rules
from greenfin.errors import InvalidInput
from greenfin.web.i18n import translate

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        # 江山: 330881 since 1987 (江山县 330821 before); born 1962. Sum 275, 275 mod 11 = 0 -> "1".
        ("330881196203150021", "code created 25 years after the holder's birth"),
        # 衢江区: 330803 since 2001; born 1990. Sum 181, 181 mod 11 = 5 -> "7".
        ("330803199001010017", "code created 11 years after the holder's birth"),
        # 衢县 330821: retired in 2001 (became 衢江区). Sum 257, 257 mod 11 = 4 -> "8".
        ("330821197506011238", "code retired since"),
        # 南浔区 330503 (2003), born on 29 February 1980. Sum 231, 231 mod 11 = 0 -> "1".
        ("330503198002290021", "leap day, code created after birth"),
        # Sequence 003: sum 233, 233 mod 11 = 2 -> "X".
        ("33050319800229003X", "check character X"),
        ("33050319800229003x", "lower-case x"),
        # Hong Kong 81. Sum 146, 146 mod 11 = 3 -> "9".
        ("810000199001010019", "province-level code 81"),
    ],
)
def test_real_numbers_are_accepted_whatever_their_county_code(number: str, why: str) -> None:
    assert rules.id_number_reason(number, today=TODAY) is None, why
    assert rules.id_number_problem(number, today=TODAY) is None
    assert rules.normalise_id_number(number) == number.upper()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("33088119620315002", "length"),
        ("3308811962031500211", "length"),
        ("33088119620315002A", "characters"),
        ("3308811962O3150021", "characters"),
        # 16 is no province-level code (the list jumps from 15 to 21); check character right.
        ("160101199001010011", "province"),
        ("100101199001010011", "province"),
        ("660101199001010011", "province"),
        ("330503198102290021", "date"),  # 1981 is no leap year
        ("330503198013010021", "date"),  # month 13
        ("330881299901010011", "future"),
        ("330881196203150022", "check"),  # the right one is 1
        ("33050319800229003 0", "check"),  # spaces are folded; 0 is wrong, X is right
    ],
)
def test_anything_else_is_refused_with_its_reason(number: str, reason: str) -> None:
    assert rules.id_number_reason(number, today=TODAY) == reason
    assert rules.id_number_problem(number, today=TODAY) == (
        f"not a valid resident ID number: {rules.ID_NUMBER_REASONS[reason]}"
    )


def test_the_refusal_names_its_reason_for_pages_in_both_languages() -> None:
    with pytest.raises(InvalidInput, match="check character") as raised:
        rules.normalise_id_number("330881196203150022")
    key = raised.value.errors[0]["message"]
    assert key == "identity.id_number.check"
    assert "校验码" in translate(key, "zh") and "check character" in translate(key, "en")
    for reason in rules.ID_NUMBER_REASONS:
        translate(rules.id_number_message(reason), "zh")  # every reason has its message


def test_full_width_digits_and_spaces_are_folded() -> None:
    assert rules.normalise_id_number(" ３３０８８１１９６２０３１５００２１ ") == "330881196203150021"


def test_masking_and_keyed_hash() -> None:
    assert rules.mask_id_number("33050319800229003X") == "3305**********003X"
    # HMAC-SHA256("k", "330881196203150021"): a keyed hash differs by key and is 64 hex characters.
    first, second = rules.id_hash("330881196203150021", "k"), rules.id_hash("330881196203150021", "k2")
    assert first != second and len(first) == 64
    assert rules.hasher("k")("330881196203150021") == first
