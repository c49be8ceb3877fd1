"""The loan book's balance files, subsidies within budgets and escalation, on both databases."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from greenfin.auth.service import Principal
from greenfin.errors import Conflict, Forbidden, InvalidInput
from greenfin.market import balances, service
from greenfin.market.models import Application, LoanBalance, Policy
from greenfin.market.schemas import (
    ApplicationCreate,
    Decision,
    LoanCreate,
    NeedCreate,
    PolicyCreate,
    ProductCreate,
    SubsidyCreate,
    SubsidyReview,
)
from tests.conftest import make_organisation

USCC = "91330802MA2XXXXX1A"
BANK = Principal(actor="user:bank", role="bank", organisation_kind="bank", organisation_code="qz_bank")
FIRM = Principal(actor="user:firm", role="enterprise", organisation_kind="enterprise", organisation_code=USCC)
REGULATOR = Principal(actor="user:reg", role="regulator")
GOOD = "loan_no,as_of,balance_fen,quality\nL1,2025-10-31,100000,normal\nL2,2025-10-31,5000,关注\n"


def _bank(session: Session) -> Principal:
    org = make_organisation(session, kind="bank", code="qz_bank", name="衢州银行")
    return Principal(
        actor="user:bank", role="bank", organisation_id=org.id, organisation_kind="bank", organisation_code="qz_bank"
    )


def _booked(session: Session, *loan_nos: str) -> Principal:
    """The bank, with these loans of 1,000,000 fen from 2025-06-01 in its book."""
    bank = _bank(session)
    for loan_no in loan_nos:
        _loan(session, bank, 1_000_000, loan_no)
    return bank


def test_balance_file_is_idempotent(session: Session) -> None:
    bank = _booked(session, "L1", "L2")
    first = balances.import_balances(session, bank, filename="oct.csv", content=GOOD.encode())
    assert first[1:] == (2, 2)
    assert balances.import_balances(session, bank, filename="oct.csv", content=GOOD.encode()) == (None, 2, 0)
    rows = session.execute(select(LoanBalance.loan_no, LoanBalance.quality).order_by(LoanBalance.loan_no)).all()
    assert [tuple(r) for r in rows] == [("L1", "normal"), ("L2", "special_mention")]


def test_rows_the_loan_book_contradicts_are_refused(session: Session) -> None:
    """Unknown (or another bank's) loan, a balance above the loan, a date before it: each row named."""
    bank = _booked(session, "L1", "L2")
    other = Principal(actor="user:o", role="bank", organisation_kind="bank", organisation_code="other_bank")
    make_organisation(session, kind="bank", code="other_bank", name="他行")
    _loan(session, other, 1_000_000, "THEIRS")
    content = (
        "loan_no,as_of,balance_fen,quality\n"
        "L1,2025-10-31,100000,normal\n"
        "NOPE,2025-10-31,5000,normal\n"
        "THEIRS,2025-10-31,5000,normal\n"
        "L2,2025-10-31,1000001,normal\n"
        "L2,2025-05-31,1000,normal\n"
    )
    with pytest.raises(InvalidInput) as caught:
        balances.import_balances(session, bank, filename="oct.csv", content=content.encode())
    named = {(e["row"], e["column"], e["reason"]) for e in caught.value.errors}
    assert named == {
        (3, "loan_no", "no loan with this number in your bank's loan book"),
        (4, "loan_no", "no loan with this number in your bank's loan book"),
        (5, "balance_fen", "above the loan's amount"),
        (6, "as_of", "before the loan was disbursed"),
    }
    assert session.scalar(select(func.count()).select_from(LoanBalance)) == 0


def test_a_stored_month_changes_only_by_a_correction_keeping_the_old_figure(session: Session) -> None:
    from greenfin.market.models import BalanceCorrection

    bank = _booked(session, "L1", "L2")
    balances.import_balances(session, bank, filename="oct.csv", content=GOOD.encode())
    changed = GOOD.replace("L2,2025-10-31,5000,关注", "L2,2025-10-31,4000,次级") + "L1,2025-11-30,90000,normal\n"
    with pytest.raises(InvalidInput, match="send the file as a correction") as caught:
        balances.import_balances(session, bank, filename="oct2.csv", content=changed.encode())
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [(3, "balance_fen")]
    session.rollback()  # the request's transaction: nothing of the refused file stays
    bank = _booked(session, "L1", "L2")
    balances.import_balances(session, bank, filename="oct.csv", content=GOOD.encode())
    _, rows, written = balances.import_balances(
        session, bank, filename="oct2.csv", content=changed.encode(), correction="核心系统重算十月余额"
    )
    assert (rows, written) == (3, 2)  # one new month, one corrected
    stored = dict(session.execute(select(LoanBalance.loan_no, LoanBalance.balance_fen).where(
        LoanBalance.as_of == date(2025, 10, 31))).all())  # type: ignore[arg-type]  # fmt: skip
    assert stored == {"L1": 100000, "L2": 4000}
    kept = session.scalars(select(BalanceCorrection)).one()
    assert (kept.loan_no, kept.old_balance_fen, kept.old_quality, kept.new_balance_fen, kept.new_quality) == (
        "L2", 5000, "special_mention", 4000, "substandard"
    )  # fmt: skip
    assert kept.reason == "核心系统重算十月余额"


def test_a_bad_file_is_refused_whole_naming_every_row(session: Session) -> None:
    content = (
        "loan_no,as_of,balance_fen,quality\n"
        "L1,2025-10-31,100000,normal\n"
        "L2,2025-13-01,5000,normal\n"
        ",2025-10-31,-3,坏\n"
        "L1,2025-10-31,1,normal\n"
    )
    with pytest.raises(InvalidInput) as caught:
        balances.import_balances(session, _booked(session, "L1", "L2"), filename="bad.csv", content=content.encode())
    named = {(e["row"], e["column"]) for e in caught.value.errors}
    assert named == {(3, "as_of"), (4, "loan_no"), (4, "balance_fen"), (4, "quality"), (2, "loan_no"), (5, "loan_no")}
    assert session.scalar(select(func.count()).select_from(LoanBalance)) == 0


def test_xlsx_and_refusals(session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (("loan_no", "as_of", "balance_fen", "quality"), ("X1", "2025-11-30", 7, "损失")):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    bank = _booked(session, "X1")
    assert balances.import_balances(session, bank, filename="nov.xlsx", content=buffer.getvalue())[1:] == (1, 1)
    with pytest.raises(Forbidden):
        balances.import_balances(session, FIRM, filename="x.csv", content=GOOD.encode())
    with pytest.raises(InvalidInput, match="lacks the column"):
        balances.import_balances(session, bank, filename="x.csv", content=b"loan_no,as_of\nA,2025-01-01\n")


def _loan(session: Session, bank: Principal, amount_fen: int, loan_no: str, green_use: str | None = "3") -> str:
    loan = service.report_loan(
        session,
        bank,
        loan_in=LoanCreate(
            loan_no=loan_no,
            borrower_code=USCC,
            borrower_name="衢州测试纸业",
            amount_fen=amount_fen,
            rate_bp=350,
            term_months=12,
            start_date=date(2025, 6, 1),
            green_use=green_use,
        ),
    )
    return loan.id


def test_subsidy_budget_is_never_overspent(session: Session) -> None:
    bank = _bank(session)
    make_organisation(session, kind="enterprise", code=USCC, name="衢州测试纸业")
    policy = service.create_policy(
        session,
        REGULATOR,
        policy_in=PolicyCreate(
            title="绿色贷款贴息",
            valid_from=date(2025, 1, 1),
            valid_to=date(2025, 12, 31),
            subsidy_rate_bp=200,
            budget_fen=3_000_000,
        ),
    )
    # 2 % of 100万元 for 12 months = 2万元 = 2,000,000 fen each: the 3万元 budget covers one, not two
    ids = [
        service.apply_subsidy(
            session,
            FIRM,
            subsidy_in=SubsidyCreate(policy_id=policy.id, loan_id=_loan(session, bank, 100_000_000, f"S{i}")),
        ).id
        for i in range(2)
    ]
    assert (
        service.review_subsidy(session, REGULATOR, subsidy_id=ids[0], review=SubsidyReview(decision="approve")).status
        == "approved"
    )
    with pytest.raises(Conflict, match="budget"):
        service.review_subsidy(session, REGULATOR, subsidy_id=ids[1], review=SubsidyReview(decision="approve"))
    service.review_subsidy(session, REGULATOR, subsidy_id=ids[0], review=SubsidyReview(decision="pay"))
    session.expire_all()
    stored = session.get(Policy, policy.id)
    assert stored is not None and (stored.committed_fen, stored.paid_fen) == (2_000_000, 2_000_000)
    with pytest.raises(Forbidden):
        service.review_subsidy(session, FIRM, subsidy_id=ids[1], review=SubsidyReview(decision="approve"))


def test_concurrent_approvals_on_postgresql(engines: dict[str, Engine]) -> None:
    """Ten approvals at once of 1 fen each against a budget of 3: exactly three succeed."""
    engine = engines["postgresql"]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO market_policy (id, title, body, issuer_code, valid_from, valid_to, green_only, "
                "subsidy_rate_bp, budget_fen, committed_fen, paid_fen, created_at) VALUES "
                "('conc', 't', '', 'p', '2025-01-01', '2025-12-31', true, 1, 3, 0, 0, now())"
            )
        )
    results: list[bool] = []
    barrier = threading.Barrier(10)

    def approve() -> None:
        from greenfin.market import repository

        with Session(engine) as session:
            barrier.wait()
            results.append(repository.commit_budget(session, "conc", 1))
            session.commit()

    threads = [threading.Thread(target=approve) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.begin() as connection:
        committed = connection.execute(text("SELECT committed_fen FROM market_policy WHERE id = 'conc'")).scalar()
        connection.execute(text("DELETE FROM market_policy WHERE id = 'conc'"))
    assert sorted(results) == [False] * 7 + [True] * 3 and committed == 3


def test_escalation_flags_overdue_applications(session: Session) -> None:
    bank = _bank(session)
    make_organisation(session, kind="enterprise", code=USCC, name="衢州测试纸业")
    product = service.create_product(
        session,
        bank,
        product_in=ProductCreate(
            name="绿色贷", min_amount_fen=1, max_amount_fen=10**9, min_term_months=1, max_term_months=60
        ),
    )
    service.publish_product(session, bank, product_id=product.id)
    need = service.create_need(session, FIRM, need_in=NeedCreate(amount_fen=10**6, term_months=12, purpose="节能改造"))
    application = service.apply(session, FIRM, application_in=ApplicationCreate(need_id=need.id, product_id=product.id))
    assert application.due_on is not None
    assert service.escalate(session, REGULATOR, today=application.due_on) == 0  # due today: not late yet
    assert service.escalate(session, REGULATOR, today=application.due_on + timedelta(days=1)) == 1
    assert service.escalate(session, REGULATOR, today=application.due_on + timedelta(days=2)) == 0  # once
    seen, _ = service.list_applications(session, FIRM, overdue=True)
    assert [a.overdue_since for a in seen] == [application.due_on]
    with pytest.raises(Forbidden):
        service.escalate(session, FIRM)
    # accepted late, then late again on the decision: escalated a second time, for the later deadline
    first_due = application.due_on
    service.decide(session, bank, application_id=application.id, decision=Decision(decision="accept"))
    decide_due = application.due_on
    assert decide_due is not None and decide_due > first_due
    assert service.escalate(session, REGULATOR, today=decide_due) == 0
    assert service.escalate(session, REGULATOR, today=decide_due + timedelta(days=1)) == 1
    assert service.escalate(session, REGULATOR, today=decide_due + timedelta(days=2)) == 0
    events = [e.action for e in service.get_application(session, FIRM, application_id=application.id).events]
    assert events == ["submit", "escalate", "accept", "escalate"]
    seen, _ = service.list_applications(session, FIRM, overdue=True)
    assert [a.overdue_since for a in seen] == [decide_due]
    stored = session.get(Application, application.id)
    assert stored is not None and stored.consent_id is not None


def _summary(session: Session, bank: Principal, day: date) -> dict[tuple[str, str | None], tuple[int, int]]:
    rows = service.book_summary(session, bank, dates=[day], dimensions=["bank", "quality", "category"])
    return {(dimension, key): (green, every) for _, dimension, _, key, green, every in rows}


def test_the_book_summary_follows_every_write_of_balances(session: Session) -> None:
    """Statistics read the summary; it must say what the balances say after each kind of write.

    L1 is green (use 3), L2 and L3 are not. oct.csv: L1 100,000 正常, L2 5,000 关注 → green
    100,000 of 105,000. A second file of October, L3 7,000 正常 → 100,000 of 112,000 (正常
    100,000 of 107,000). A correction of L1 to 80,000 次级 → 80,000 of 92,000; 正常 0 of 7,000,
    次级 80,000 of 80,000, 关注 0 of 5,000; the green use 3 holds 80,000.
    """
    bank = _booked(session, "L1")
    for loan_no in ("L2", "L3"):
        _loan(session, bank, 1_000_000, loan_no, green_use=None)
    october = date(2025, 10, 31)
    balances.import_balances(session, bank, filename="oct.csv", content=GOOD.encode())
    assert _summary(session, bank, october) == {
        ("total", None): (100_000, 105_000),
        ("bank", "qz_bank"): (100_000, 105_000),
        ("quality", "normal"): (100_000, 100_000),
        ("quality", "special_mention"): (0, 5_000),
        ("category", "3"): (100_000, 100_000),
        ("category", None): (0, 5_000),
    }
    second = "loan_no,as_of,balance_fen,quality\nL3,2025-10-31,7000,正常\n"
    balances.import_balances(session, bank, filename="oct-b.csv", content=second.encode())
    summed = _summary(session, bank, october)
    assert summed[("total", None)] == (100_000, 112_000) and summed[("quality", "normal")] == (100_000, 107_000)
    corrected = "loan_no,as_of,balance_fen,quality\nL1,2025-10-31,80000,次级\n"
    balances.import_balances(session, bank, filename="oct-c.csv", content=corrected.encode(), correction="重算")
    assert _summary(session, bank, october) == {
        ("total", None): (80_000, 92_000),
        ("bank", "qz_bank"): (80_000, 92_000),
        ("quality", "normal"): (0, 7_000),
        ("quality", "special_mention"): (0, 5_000),
        ("quality", "substandard"): (80_000, 80_000),
        ("category", "3"): (80_000, 80_000),
        ("category", None): (0, 12_000),
    }
    with pytest.raises(Forbidden):  # another bank's summary is not this bank's to read
        service.book_summary(session, bank, dates=[october], bank_code="other_bank")


def test_concurrent_corrections_of_one_month_on_postgresql(engines: dict[str, Engine]) -> None:
    """Two corrections of one bank's month at the same moment: the second waits for the first, and either
    lands or is refused as a conflict (to be sent again) — the summary always says what the balances say."""
    import time
    import uuid

    from greenfin.auth.models import Organisation
    from greenfin.auth.service import install_audit
    from greenfin.db import make_session_factory
    from greenfin.market.models import BalanceCorrection, BalanceImport, BookSummary, Loan

    engine = engines["postgresql"]
    factory = make_session_factory(engine)
    install_audit(factory)
    code = f"cc{uuid.uuid4().hex[:10]}"
    october = date(2025, 10, 31)
    with factory() as setup:
        org = make_organisation(setup, kind="bank", code=code, name="并发测试银行")
        bank = Principal(
            actor="user:b", role="bank", organisation_id=org.id, organisation_kind="bank", organisation_code=code
        )
        for loan_no in ("L1", "L2"):
            _loan(setup, bank, 1_000_000, loan_no)
        balances.import_balances(setup, bank, filename="oct.csv", content=GOOD.encode())
        setup.commit()
    first, second = factory(), factory()
    outcome: dict[str, str] = {}
    try:
        one = "loan_no,as_of,balance_fen,quality\nL1,2025-10-31,80000,normal\n"
        balances.import_balances(first, bank, filename="a.csv", content=one.encode(), correction="重算")

        def correct_again() -> None:
            other = "loan_no,as_of,balance_fen,quality\nL2,2025-10-31,4000,关注\n"
            try:
                balances.import_balances(second, bank, filename="b.csv", content=other.encode(), correction="重算")
                second.commit()
                outcome["second"] = "stored"
            except Conflict:
                second.rollback()
                outcome["second"] = "conflict"

        thread = threading.Thread(target=correct_again)
        thread.start()
        time.sleep(0.3)
        first.commit()
        thread.join(timeout=30)
        assert outcome["second"] in ("stored", "conflict"), outcome
        with factory() as check:
            stored = check.scalar(
                select(func.sum(LoanBalance.balance_fen)).where(
                    LoanBalance.bank_code == code, LoanBalance.as_of == october
                )
            )
            summed = check.scalar(
                select(BookSummary.all_fen).where(
                    BookSummary.bank_code == code, BookSummary.as_of == october, BookSummary.dimension == "total"
                )
            )
            assert summed == stored == (80_000 + (4_000 if outcome["second"] == "stored" else 5_000))
    finally:
        first.close()
        second.close()
        with factory() as cleanup:
            for model in (BookSummary, BalanceCorrection, LoanBalance, BalanceImport, Loan):
                cleanup.execute(delete(model).where(model.bank_code == code))
            cleanup.execute(delete(Organisation).where(Organisation.code == code))  # later tests count banks
            cleanup.commit()


def test_the_loan_book_list_filters_sorts_and_shows_the_latest_balances(session: Session) -> None:
    bank = _bank(session)
    _loan(session, bank, 3_000_000, "G-1")
    _loan(session, bank, 1_000_000, "GREY-1", green_use=None)
    _loan(session, bank, 2_000_000, "G-2")
    other = make_organisation(session, kind="bank", code="other_bank", name="他行")
    _loan(
        session,
        Principal(actor="user:o", role="bank", organisation_id=other.id, organisation_kind="bank",
                  organisation_code="other_bank"),
        9_000_000,
        "X-1",
    )  # fmt: skip
    sent = "loan_no,as_of,balance_fen,quality\nG-1,2025-09-30,2900000,normal\nG-1,2025-10-31,2800000,关注\n"
    balances.import_balances(session, bank, filename="b.csv", content=sent.encode())
    loans, total = service.list_loans(session, bank, green=True, sort="amount", descending=False)
    assert total == 2 and [loan.loan_no for loan in loans] == ["G-2", "G-1"]  # green only, smallest first
    assert [loan.loan_no for loan in service.list_loans(session, bank, green=False)[0]] == ["GREY-1"]
    assert {loan.loan_no for loan in service.list_loans(session, bank, text="g-")[0]} == {"G-1", "G-2"}  # any case
    as_of, latest = service.latest_balances(session, bank, loans)
    assert as_of == date(2025, 10, 31) and latest == {("qz_bank", "G-1"): (2_800_000, "special_mention")}
    everything, _ = service.list_loans(session, REGULATOR)
    assert {loan.loan_no for loan in everything} == {"G-1", "G-2", "GREY-1", "X-1"}  # the regulator: every bank
    with pytest.raises(InvalidInput):
        service.list_loans(session, bank, sort="borrower_code")


def test_the_supermarket_filters_by_what_a_product_can_lend(session: Session) -> None:
    bank = _bank(session)
    for name, spread, top, method in (("甲", 90, 5_000_000, "credit"), ("乙", 20, 90_000_000, "mortgage")):
        body = ProductCreate.model_validate(
            {"name": name, "min_amount_fen": 1_000_000, "max_amount_fen": top, "min_term_months": 6,
             "max_term_months": 36, "borrower_kinds": ["enterprise"], "rate_spread_bp": spread, "loan_method": method}
        )  # fmt: skip
        service.publish_product(session, bank, product_id=service.create_product(session, bank, product_in=body).id)
    names = lambda **f: [p.name for p in service.list_products(session, FIRM, **f)[0]]  # noqa: E731
    assert names(sort="rate") == ["乙", "甲"] and names(sort="rate", descending=True) == ["甲", "乙"]
    assert names(amount_fen=50_000_000) == ["乙"] and names(amount_fen=2_000_000, sort="rate") == ["乙", "甲"]
    assert names(loan_method="credit") == ["甲"] and set(names(text="衢州银")) == {"甲", "乙"}
    assert names(text="%") == [] and names(term_months=48) == [] and names(text="乙") == ["乙"]
    with pytest.raises(InvalidInput):
        service.list_products(session, FIRM, family="bonds")
