"""Messages of issue 16's hardening: residents' self-service opening, bounded input."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "personal.open_off": (
        "本平台的个人碳账户由合作银行开通。请携带居民身份证到您的开户银行办理，开通后即可在此查看。",
        "Personal carbon accounts are opened by the partner banks here. Take your resident ID card to your bank; "
        "once it has opened your account you can see it here.",
    ),
    "personal.open_code": ("核验码", "Verification code"),
    "personal.open_code_hint": (
        "核验码由平台运营方在核对您的居民身份证后发放，有效期内使用。",
        "The platform's operator gives you the code after checking your resident ID card; use it before it expires.",
    ),
    "personal.open_bad_code": (
        "核验码与身份证号码不符或已过期，请核对后重试，或到运营方重新领取。",
        "The verification code does not match the ID number or has expired; check it, "
        "or ask the operator for a new one.",
    ),
    "personal.open_refused": (
        "无法开通：请到为您开户的银行办理。",
        "The account cannot be opened here: ask the bank that opened your account.",
    ),
}
