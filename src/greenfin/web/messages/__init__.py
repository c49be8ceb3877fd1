"""Sections of the message catalogue, one module per area (``admin.py``, ``market.py`` …).

Each module holds ``MESSAGES: dict[str, tuple[str, str]]`` — key → (简体中文, English) — and
``greenfin.web.i18n`` merges them into the one catalogue at import, refusing a key defined
twice. New areas add a module here rather than growing ``i18n.py``.
"""
