"""English names in signed reports, and reports of the old schema staying verifiable.

Schema /2 signs the county, industry, farm type and region names in Chinese and English.
A /1 report (Chinese names only) is served exactly as stored — its signature still verifies —
and its English page names the signed codes from the catalogue.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from greenfin.finance import signing
from greenfin.finance.models import Report
from greenfin.finance.views import report_names
from greenfin.settings import Settings
from tests.conftest import bearer, make_user

V1_REPORT: dict[str, Any] = {
    "schema": "greenfin.carbon-credit-report/1",
    "report_id": "0" * 31 + "1",
    "issued_at": "2025-06-30T02:00:00+00:00",
    "issuer": {"platform": "greenfin", "region": "330800", "region_name_zh": "衢州市"},
    "bank": {"code": "bank-001", "name": "测试银行"},
    "consent": {"id": "c1", "scope": "credit_report", "granted_at": "2025-06-01", "expires_at": "2026-06-01"},
    "borrower": {
        "kind": "enterprise",
        "ref": "91330802MA2ABCDE1X",
        "uscc": "91330802MA2ABCDE1X",
        "name": "衢州测试纸业",
        "county_code": "330802",
        "county_name_zh": "柯城区",
        "industry_code": "2221",
        "industry_name_zh": "机制纸及纸板制造",
    },
    "years": [],
    "reductions": [],
    "terms": {"rate_bp": 435},
}


def test_an_old_report_is_served_as_signed_and_still_verifies(
    client: TestClient, session: Session, settings: Settings
) -> None:
    envelope = signing.sign(V1_REPORT, signing.platform_key(settings.signing_key_file, settings.environment))
    session.add(
        Report(
            id=V1_REPORT["report_id"],
            borrower_kind="enterprise",
            borrower_ref=V1_REPORT["borrower"]["ref"],
            borrower_code=V1_REPORT["borrower"]["ref"],
            bank_code="bank-001",
            consent_id="c1",
            issued_by="user:officer",
            key_id=envelope["signature"]["key_id"],
            sha256=envelope["signature"]["sha256"],
            document=envelope,
        )
    )
    admin = bearer(session, settings, make_user(session, "admin-names", "admin"))
    session.commit()
    served = client.get(f"/api/v1/finance/reports/{V1_REPORT['report_id']}", headers=admin).json()
    assert served == envelope
    public = signing.load_public_key(client.get("/api/v1/finance/signing-key").json()["public_key"])
    assert signing.verify(served, public)[0] is True


def test_the_english_page_names_a_v1_report_from_its_signed_codes() -> None:
    assert report_names(V1_REPORT, "en") == {
        "county_name": "Kecheng District",
        "industry_name": "Machine-made paper and paperboard",
        "region_name": "衢州市",  # a /1 report signed no English region name
    }
    assert report_names(V1_REPORT, "zh") == {
        "county_name": "柯城区",
        "industry_name": "机制纸及纸板制造",
        "region_name": "衢州市",
    }


def test_a_v2_report_uses_its_signed_names() -> None:
    report = {
        **V1_REPORT,
        "issuer": {**V1_REPORT["issuer"], "region_name_en": "Quzhou"},
        "borrower": {
            **V1_REPORT["borrower"],
            "county_name_en": "Kecheng (signed)",
            "industry_name_en": "Paper (signed)",
        },
    }
    assert report_names(report, "en") == {
        "county_name": "Kecheng (signed)",
        "industry_name": "Paper (signed)",
        "region_name": "Quzhou",
    }
    farm = {**V1_REPORT, "borrower": {"kind": "farm", "county_code": "330803", "township": "高家镇"}}
    assert report_names(farm, "en")["industry_name"] == ""
    assert report_names(farm, "en")["county_name"] == "Qujiang District"
