"""Server-rendered pages: one template tree (a folder per domain), static files, the message catalogue.

``views.py`` is the shell (landing, login, logout, language switch, ``/home``);
``pages.py`` the plumbing every domain's ``views.py`` uses (``page_router``,
``PagePrincipalDep``, ``LangDep``, ``render``); ``i18n.py`` the Chinese-first catalogue;
``formatting.py`` how numbers read (万元 / 亿元, tCO₂, percentages).
"""
