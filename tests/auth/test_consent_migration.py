"""The consent migration moves every finance and personal consent into auth_consent, and back."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import MetaData, create_engine, inspect, select
from sqlalchemy.orm import Session

from greenfin.auth.models import Consent, ConsentUse
from greenfin.migrations import config, upgrade
from tests.test_migrations import empty_database  # noqa: F401  (the fixture: SQLite and PostgreSQL)

BEFORE = "722eb338c7cd"
GRANTED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 5, 0, 0, tzinfo=UTC)
REVOKED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
BANK_ID, ACCOUNT_REF = "b" * 32, "r" * 32
ENTERPRISE_CONSENT, FARM_CONSENT, GRADE_CONSENT, REPORT = "1" * 32, "2" * 32, "3" * 32, "4" * 32


def _seed_old_tables(url: str) -> None:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as c:
        c.execute(
            t["auth_organisation"].insert(),
            [{"id": BANK_ID, "kind": "bank", "name": "衢州农商银行", "code": "BANK1", "created_at": GRANTED}],
        )
        c.execute(
            t["personal_account"].insert(),
            [
                {
                    "id": 1,
                    "ref": ACCOUNT_REF,
                    "id_hash": "h" * 64,
                    "id_masked": "3308**********0021",
                    "name_masked": "王**",
                    "opened_at": GRANTED,
                    "consent_ref": "terms-v1",
                    "consent_channel": "web",
                    "consent_at": GRANTED,
                    "consent_by": "user:resident",
                }
            ],
        )
        common = {"granted_at": GRANTED, "expires_at": EXPIRES, "bank_code": "BANK1", "scope": "credit_report"}
        c.execute(
            t["finance_consent"].insert(),
            [
                {
                    "id": ENTERPRISE_CONSENT,
                    "borrower_kind": "enterprise",
                    "borrower_ref": "91330803MA2XXXXXX1",
                    "borrower_code": "91330803MA2XXXXXX1",
                    "granted_by": "user:enterprise",
                    "revoked_at": None,
                    **common,
                },
                {
                    "id": FARM_CONSENT,
                    "borrower_kind": "farm",
                    "borrower_ref": "f" * 32,
                    "borrower_code": "farm-" + "f" * 32,
                    "granted_by": "user:farm",
                    "revoked_at": REVOKED,
                    **common,
                },
            ],
        )
        c.execute(
            t["personal_consent"].insert(),
            [
                {
                    "id": GRADE_CONSENT,
                    "account_id": 1,
                    "organisation_id": BANK_ID,
                    "scope": "grade",
                    "consent_ref": "WEB-2026-0001",
                    "granted_at": GRANTED,
                    "expires_at": EXPIRES,
                    "revoked_at": None,
                    "granted_by": "user:resident",
                }
            ],
        )
        c.execute(
            t["finance_report"].insert(),
            [
                {
                    "id": REPORT,
                    "borrower_kind": "enterprise",
                    "borrower_ref": "91330803MA2XXXXXX1",
                    "borrower_code": "91330803MA2XXXXXX1",
                    "bank_code": "BANK1",
                    "consent_id": ENTERPRISE_CONSENT,
                    "issued_at": REVOKED,
                    "issued_by": "user:bank",
                    "key_id": "k1",
                    "sha256": "0" * 64,
                    "document": {},
                }
            ],
        )
    engine.dispose()


def test_upgrade_moves_every_consent_keeping_ids_and_the_reads_of_issued_reports(
    empty_database: str,  # noqa: F811
) -> None:
    upgrade(empty_database, BEFORE)
    _seed_old_tables(empty_database)
    upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        assert not {"finance_consent", "personal_consent"} & set(inspect(engine).get_table_names())
        with Session(engine) as session:
            moved = {c.id: c for c in session.scalars(select(Consent))}
            uses = session.scalars(select(ConsentUse)).all()
    finally:
        engine.dispose()
    assert set(moved) == {ENTERPRISE_CONSENT, FARM_CONSENT, GRADE_CONSENT}
    enterprise, farm, grade = moved[ENTERPRISE_CONSENT], moved[FARM_CONSENT], moved[GRADE_CONSENT]
    assert (enterprise.subject_kind, enterprise.subject_ref, enterprise.subject_code) == (
        "enterprise",
        "91330803MA2XXXXXX1",
        "91330803MA2XXXXXX1",
    )
    assert (enterprise.organisation_id, enterprise.scope, enterprise.granted_by) == (
        BANK_ID,
        "credit_report",
        "user:enterprise",
    )
    assert (enterprise.granted_at, enterprise.expires_at, enterprise.revoked_at) == (GRANTED, EXPIRES, None)
    assert (farm.subject_kind, farm.subject_code, farm.revoked_at) == ("farm", "farm-" + "f" * 32, REVOKED)
    assert (grade.subject_kind, grade.subject_ref, grade.subject_code) == ("resident", ACCOUNT_REF, None)
    assert (grade.scope, grade.reference, grade.organisation_id) == ("personal_grade", "WEB-2026-0001", BANK_ID)
    assert [(u.consent_id, u.purpose, u.entity_id, u.actor, u.at) for u in uses] == [
        (ENTERPRISE_CONSENT, "credit_report", REPORT, "user:bank", REVOKED)
    ]


def test_downgrade_moves_them_back(empty_database: str) -> None:  # noqa: F811
    upgrade(empty_database, BEFORE)
    _seed_old_tables(empty_database)
    upgrade(empty_database)
    command.downgrade(config(empty_database), BEFORE)
    engine = create_engine(empty_database)
    meta = MetaData()
    meta.reflect(engine)
    try:
        with engine.connect() as c:
            finance = c.execute(select(meta.tables["finance_consent"]).order_by("id")).mappings().all()
            personal = c.execute(select(meta.tables["personal_consent"])).mappings().all()
    finally:
        engine.dispose()
    assert [(r["id"], r["borrower_kind"], r["bank_code"]) for r in finance] == [
        (ENTERPRISE_CONSENT, "enterprise", "BANK1"),
        (FARM_CONSENT, "farm", "BANK1"),
    ]
    assert [(r["id"], r["account_id"], r["scope"], r["consent_ref"]) for r in personal] == [
        (GRADE_CONSENT, 1, "grade", "WEB-2026-0001")
    ]
