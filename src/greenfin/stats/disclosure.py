"""A bank's annual environmental-information disclosure (JR/T 0227—2021, 金融机构环境信息披露指南).

The report follows the standard's eleven sections (``data/disclosure/jrt-0227-2021.toml``). The
sections greenfin can fill are filled from the loan book at the year's last month-end with
balances: the year at a glance (green-loan balance, share, growth), the environmental impact of
lending (green loans by use, the environmental benefits of their projects, the financed
emissions of the whole book), and the data behind them (sources and PCAF data quality). Every
other section is the bank's own text, kept as append-only versions (``stats_disclosure_text``:
who wrote which version when; the audit log records each write). A bank writes and reads its
own report; a regulator reads every bank's; another bank is told the report does not exist.

:func:`report` assembles it; its figures are :class:`~greenfin.web.pdf.Block` lists in the
reader's language, so the page and the PDF (:func:`render_pdf`) print the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from greenfin.auth import service as auth
from greenfin.auth.service import Principal
from greenfin.errors import Forbidden, InvalidInput, NotFound
from greenfin.stats import repository, service
from greenfin.stats.methodology import DisclosureSection, load_disclosure_guide
from greenfin.stats.models import DisclosureText
from greenfin.web import pdf
from greenfin.web.formatting import beijing_time, grouped, money, share, signed_share
from greenfin.web.i18n import translate
from greenfin.web.pdf import Block

MAX_TEXT = 20_000  # characters of one section
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Section:
    """One section as the reader sees it: the guide's heading, the bank's latest text, greenfin's figures."""

    key: str
    number: str
    title: str
    guide: str
    filled: str
    text: str = ""
    version: int = 0
    written_by: str | None = None
    written_at: datetime | None = None
    versions: list[DisclosureText] = field(default_factory=list)
    facts: list[Block] = field(default_factory=list)


@dataclass
class Disclosure:
    bank_code: str
    bank_name: str
    year: int
    as_of: date | None
    document: str
    title: str
    sections: list[Section]


def _bank(session: Session, principal: Principal, bank_code: str | None) -> str:
    """The bank whose report the principal may read: its own (a bank), any (a regulator)."""
    auth.require_role(principal, "regulator", "bank")
    if principal.is_staff:
        if not bank_code:
            raise InvalidInput("bank_code: name the bank whose report to read", errors=[{"field": "bank_code"}])
        return bank_code
    own = principal.organisation_code
    if not own or (bank_code is not None and bank_code != own):
        raise NotFound(f"no disclosure of bank {bank_code} for you")
    return own


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year: {FIRST_YEAR} to {LAST_YEAR}", errors=[{"field": "year"}])
    return year


def _year_end(session: Session, principal: Principal, bank_code: str, year: int) -> date | None:
    """The year's last month-end with the bank's balances (31 December when it is reported)."""
    days = [day for day in service.book_dates(session, principal, bank_code=bank_code) if day.year == year]
    return days[-1] if days else None


def _guide_section(key: str) -> DisclosureSection:
    for section in load_disclosure_guide().sections:
        if section.key == key:
            return section
    raise NotFound(f"no section {key!r} in {load_disclosure_guide().document}")


def write_section(
    session: Session, principal: Principal, *, bank_code: str | None, year: int, section: str, text: str
) -> DisclosureText:
    """The bank writes a new version of one of its sections (a regulator reads, never writes)."""
    if principal.is_staff:
        raise Forbidden("a bank's disclosure is written by the bank")
    bank = _bank(session, principal, bank_code)
    guide = _guide_section(section)
    if guide.filled == "data":
        raise InvalidInput(f"section {guide.number} is filled from the data", errors=[{"field": "section"}])
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("text: the section is empty; write what the bank discloses", errors=[{"field": "text"}])
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(f"text: at most {MAX_TEXT:,} characters", errors=[{"field": "text"}])
    version = repository.last_disclosure_version(session, bank, _year(year), section) + 1
    written = DisclosureText(
        bank_code=bank, year=year, section=section, version=version, text=cleaned, written_by=principal.actor
    )
    session.add(written)
    session.flush()
    return written


def report(session: Session, principal: Principal, *, bank_code: str | None, year: int, lang: str = "zh") -> Disclosure:
    """The bank's disclosure of ``year``: every section with its latest text and greenfin's figures."""
    bank = _bank(session, principal, bank_code)
    texts = repository.disclosure_texts(session, bank, _year(year))
    as_of = _year_end(session, principal, bank, year)
    facts = _facts(session, principal, bank, as_of, lang) if as_of else {}
    guide = load_disclosure_guide()
    sections = []
    for item in guide.sections:
        versions = [t for t in texts if t.section == item.key]
        latest = versions[0] if versions else None
        sections.append(
            Section(
                key=item.key,
                number=item.number,
                title=item.title if lang == "zh" else item.title_en,
                guide=item.guide if lang == "zh" else item.guide_en,
                filled=item.filled,
                text=latest.text if latest else "",
                version=latest.version if latest else 0,
                written_by=latest.written_by if latest else None,
                written_at=latest.written_at if latest else None,
                versions=versions,
                facts=facts.get(item.key, []),
            )
        )
    name = auth.organisation_names(session, [bank]).get(bank, bank)
    return Disclosure(bank, name, year, as_of, guide.document, guide.title, sections)


def _t(key: str, lang: str, **values: Any) -> str:
    return translate(key, lang, **values)


def _category(version: str, code: str | None, lang: str) -> str:
    """A category's name in the reader's language, then its code."""
    if code is None or code == service.UNMAPPED:
        return _t("stats.unmapped" if code else "stats.not_recorded", lang)
    return f"{service.category_label(version, code, lang)} {code}"


def _tonnes(value: Any) -> str:
    return grouped(value, 3 if value < 1000 else 0)


def _facts(session: Session, principal: Principal, bank: str, as_of: date, lang: str) -> dict[str, list[Block]]:
    """The figures of the data sections, as blocks in the reader's language."""
    stats = service.green_loan_statistics(session, principal, as_of=as_of, by=("category",), bank_code=bank)
    totals = stats.totals
    benefits = service.benefits_totals(session, principal, as_of=as_of, bank_code=bank)
    emissions = service.financed_emissions_of_book(session, principal, as_of=as_of, bank_code=bank)
    overview = [
        Block(
            "p",
            _t(
                "disclosure.overview_figures",
                lang,
                day=as_of.isoformat(),
                green=money(totals.green_balance_fen, lang),
                share=share(totals.share, 2),
                yoy=signed_share(totals.yoy_growth, 2),
                ytd=signed_share(totals.ytd_growth, 2),
            ),
        )
    ]
    categories = [
        [_t("stats.by_category", lang), _t("stats.green_balance", lang), _t("stats.share_of_green", lang)],
        *(
            [
                _category(stats.catalogue_version, g.key, lang),
                money(g.green_balance_fen, lang),
                share(g.share_of_green, 2),
            ]
            for g in stats.groups.get("category", [])
        ),
    ]
    benefit_rows = [[_t("disclosure.indicator", lang), _t("disclosure.tonnes_a_year", lang)]] + [
        [_t(f"stats.benefit.{name}", lang), _tonnes(value)]
        for name, value in benefits["totals"].items()
        if name not in ("loans", "loan_fen")
    ]
    scores = emissions["totals"]
    emission_rows = [
        [_t("disclosure.indicator", lang), _t("disclosure.value", lang)],
        [_t("stats.pcaf.scope1", lang), _tonnes(scores["scope1_t"])],
        [_t("stats.pcaf.scope2", lang), _tonnes(scores["scope2_t"])],
        [_t("stats.pcaf.scope3", lang), _t("disclosure.not_estimated", lang)],
        [_t("stats.pcaf.weighted_data_quality", lang), str(emissions["weighted_data_quality"] or "—")],
    ]
    financing = [
        Block("p", _t("disclosure.as_of_method", lang, day=as_of.isoformat(), version=stats.catalogue_version)),
        Block("table", rows=categories, header=True),
        Block("p", _t("disclosure.benefits_method", lang, without=benefits["loans_without_project"])),
        Block("table", rows=benefit_rows, header=True),
        Block("p", _t("disclosure.emissions_method", lang, year=emissions["account_year"])),
        Block("table", rows=emission_rows, header=True),
    ]
    sources = [
        [_t("disclosure.data_source", lang), _t("disclosure.loans", lang), _t("stats.pcaf.data_quality", lang)],
        *(
            [_t(f"disclosure.source.{row['source']}", lang), grouped(row["loans"]), str(row["data_quality"] or "—")]
            for row in emissions["by_source"]
        ),
    ]
    data_quality = [
        Block("p", _t("disclosure.data_sources", lang)),
        Block("table", rows=sources, header=True),
        Block(
            "p",
            _t(
                "disclosure.data_coverage",
                lang,
                coverage=share(emissions["data_quality_coverage"], 2),
                score=emissions["weighted_data_quality"] or "—",
            ),
        ),
    ]
    return {"overview": overview, "financing_impact": financing, "data_quality": data_quality}


def blocks(disclosure: Disclosure, lang: str = "zh") -> list[Block]:
    """The whole report as blocks: a title, the basis, then each section's figures and text."""
    out = [
        Block("h1", _t("disclosure.report_title", lang, bank=disclosure.bank_name, year=disclosure.year)),
        Block("small", _t("disclosure.basis", lang, document=disclosure.document, title=disclosure.title)),
    ]
    for section in disclosure.sections:
        out.append(Block("h2", f"{section.number.removeprefix('5.')} {section.title}"))
        out.extend(section.facts)
        if section.text:
            out.extend(Block("p", paragraph) for paragraph in section.text.split("\n") if paragraph.strip())
            written = beijing_time(section.written_at, lang) if section.written_at else ""
            out.append(Block("small", _t("disclosure.version_line", lang, version=section.version, at=written)))
        elif not section.facts:
            out.append(Block("small", _t("disclosure.not_written", lang)))
    return out


def render_pdf(disclosure: Disclosure) -> bytes:
    """The report as a Chinese PDF (the layout of ``greenfin.web.pdf``)."""
    title = f"{disclosure.bank_name} {disclosure.year} 年度环境信息披露报告"
    return pdf.render(blocks(disclosure, "zh"), title=title, footer=title)
