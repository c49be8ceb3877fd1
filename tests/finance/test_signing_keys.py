"""Reports no one can forge (issue 16, part 3): real key pairs, a key list, a strict verifier.

The findings: ``verify`` without ``--public-key`` trusted a key derived from local settings
(the demo secret is in the source), and ignored unsigned extra fields, a changed
``signature.sha256`` and duplicate JSON keys.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from greenfin.cli import app
from greenfin.db import utcnow
from greenfin.errors import Conflict, InvalidInput
from greenfin.finance import service, signing
from greenfin.settings import Settings

ISSUED = "2026-03-01T08:00:00+00:00"


def _report(**extra: Any) -> dict[str, Any]:
    base = {"schema": "greenfin.carbon-credit-report/3", "report_id": "r1", "issued_at": ISSUED, "total": "12.5"}
    return base | extra


def _files(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A key file written by keygen, its public key file, and a report it signed."""
    key_file = tmp_path / "signing.pem"
    result = CliRunner().invoke(app, ["finance", "keygen", str(key_file)])
    assert result.exit_code == 0, result.output
    key = signing.load_private_key(key_file)
    public = tmp_path / "public.pem"
    public.write_text(signing.public_key_info(key.public_key()).public_key_pem)
    return key_file, public, signing.sign(_report(), key)


def verify(path: Path, *options: str) -> Result:
    return CliRunner().invoke(app, ["finance", "verify", str(path), *options])


def test_keygen_writes_an_owner_only_key_and_never_overwrites(tmp_path: Path) -> None:
    key_file, _, _ = _files(tmp_path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()
    again = CliRunner().invoke(app, ["finance", "keygen", str(key_file)])
    assert isinstance(again.exception, InvalidInput) and "never overwritten" in again.exception.detail
    os.chmod(key_file, 0o644)
    with pytest.raises(InvalidInput, match="read by others"):
        signing.load_private_key(key_file)


def test_two_keys_generated_differ_and_none_comes_from_the_secret(tmp_path: Path) -> None:
    first, second = signing.generate_key(), signing.generate_key()
    assert signing.key_id(first.public_key()) != signing.key_id(second.public_key())
    assert not hasattr(signing, "private_key")  # no derivation from Settings.secret_key any more


def test_verify_needs_a_key_given_never_local_settings(tmp_path: Path) -> None:
    _, public, envelope = _files(tmp_path)
    report = tmp_path / "report.json"
    report.write_text(json.dumps(envelope, ensure_ascii=False))
    result = verify(report)
    assert isinstance(result.exception, InvalidInput) and "never trusts local settings" in result.exception.detail
    ok = verify(report, "--public-key", str(public))
    assert ok.exit_code == 0, ok.output
    assert "valid: signed by key" in ok.stdout


def _forged(envelope: dict[str, Any]) -> dict[str, str]:
    signature = envelope["signature"]
    body = json.dumps(envelope, ensure_ascii=False)
    dup_inner = body.replace('"total": "12.5"', '"total": "12.5", "total": "0.1"')
    dup_outer = body[:-1] + ', "report": ' + json.dumps(_report(total="0.1")) + "}"
    return {
        "extra envelope field": json.dumps(envelope | {"note": "rate 2.1%"}),
        "extra signature field": json.dumps(envelope | {"signature": signature | {"comment": "ok"}}),
        "duplicate key in the report": dup_inner,
        "duplicate report": dup_outer,
        "wrong sha256": json.dumps(envelope | {"signature": signature | {"sha256": "0" * 64}}),
        "altered report": json.dumps(envelope | {"report": _report(total="0.1")}),
        "NaN": body.replace('"12.5"', "NaN"),
        "float": json.dumps(envelope | {"report": _report(total=12.5)}),
        "not an object": "[]",
    }


def test_every_forgery_is_refused(tmp_path: Path) -> None:
    _, public, envelope = _files(tmp_path)
    reasons = {}
    for name, text in _forged(envelope).items():
        path = tmp_path / "forged.json"
        path.write_text(text)
        result = verify(path, "--public-key", str(public))
        assert result.exit_code == 1, (name, result.output)
        reasons[name] = result.stderr
    assert "unsigned extra fields note" in reasons["extra envelope field"]
    assert "duplicate key 'total'" in reasons["duplicate key in the report"]
    assert "duplicate key 'report'" in reasons["duplicate report"]
    assert "signature.sha256" in reasons["wrong sha256"]
    assert "altered" in reasons["altered report"]


def test_a_key_not_in_the_trusted_list_is_refused(tmp_path: Path) -> None:
    _, _, envelope = _files(tmp_path)
    other = signing.generate_key()
    report = tmp_path / "report.json"
    report.write_text(json.dumps(envelope))
    stranger = signing.sign(_report(), other)
    forged = tmp_path / "stranger.json"
    forged.write_text(json.dumps(stranger))
    info = signing.public_key_info(signing.load_public_key((tmp_path / "public.pem").read_text()))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"key_id": info.key_id, "public_key": info.public_key}]}))
    assert verify(report, "--trusted-keys", str(keys)).exit_code == 0
    refused = verify(forged, "--trusted-keys", str(keys))
    assert refused.exit_code == 1 and "not a trusted key" in refused.stderr
    pinned = verify(report, "--trusted-keys", str(keys), "--key-id", "0123456789abcdef")
    assert pinned.exit_code == 1 and "pinned" in pinned.stderr
    # A list whose key id is not its key's is refused whole.
    lying = tmp_path / "lying.json"
    lie = {"key_id": signing.key_id(other.public_key()), "public_key": info.public_key}
    lying.write_text(json.dumps({"keys": [lie]}))
    result = verify(report, "--trusted-keys", str(lying))
    assert isinstance(result.exception, InvalidInput) and "not the id of its public key" in result.exception.detail


def test_a_report_outside_its_keys_validity_is_refused(tmp_path: Path) -> None:
    key = signing.generate_key()
    info = signing.public_key_info(key.public_key())
    keys = tmp_path / "keys.json"
    entry = {"key_id": info.key_id, "public_key": info.public_key, "valid_from": "2026-01-01T00:00:00+00:00"}
    keys.write_text(json.dumps({"keys": [entry | {"valid_to": "2026-02-01T00:00:00+00:00"}]}))
    report = tmp_path / "report.json"
    report.write_text(json.dumps(signing.sign(_report(), key)))  # issued 2026-03-01, after the key retired
    result = verify(report, "--trusted-keys", str(keys))
    assert result.exit_code == 1 and "outside the validity" in result.stderr
    keys.write_text(json.dumps({"keys": [entry]}))
    assert verify(report, "--trusted-keys", str(keys)).exit_code == 0


def test_rotation_keeps_old_reports_verifiable(session: Session, settings: Settings, tmp_path: Path) -> None:
    old_file, new_file = tmp_path / "old.pem", tmp_path / "new.pem"
    signing.write_private_key(old_file, signing.generate_key())
    signing.write_private_key(new_file, signing.generate_key())
    old_settings = settings.model_copy(update={"signing_key_file": old_file})
    new_settings = settings.model_copy(update={"signing_key_file": new_file})
    old_id = service.signing_key(session, old_settings).key_id
    old_report = signing.sign(_report(issued_at=utcnow().isoformat()), signing.load_private_key(old_file))
    new_id = service.signing_key(session, new_settings).key_id
    listed = {k.key_id: k for k in service.signing_keys(session, new_settings)}
    assert listed[old_id].valid_to is not None and listed[new_id].valid_to is None
    assert listed[old_id].valid_to <= listed[new_id].valid_from  # type: ignore[operator]
    with pytest.raises(Conflict, match="retired"):
        service.signing_key(session, old_settings)  # a retired key never signs again
    key_list = json.dumps({"keys": [k.model_dump(mode="json") for k in listed.values()]})
    trusted = signing.trusted_keys(key_list)
    assert signing.verify_text(json.dumps(old_report), trusted)[0] is True
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    late = signing.sign(_report(issued_at=tomorrow), signing.load_private_key(old_file))
    assert signing.verify_text(json.dumps(late), trusted) == (
        False,
        f"issued at {late['report']['issued_at']}, outside the validity of key {old_id}",
    )


def test_the_key_list_is_public(client: TestClient) -> None:
    listed = client.get("/api/v1/finance/keys")
    assert listed.status_code == 200
    [key] = listed.json()["keys"]
    assert key["algorithm"] == "Ed25519" and key["valid_to"] is None
    assert client.get("/api/v1/finance/signing-key").json()["key_id"] == key["key_id"]
    assert signing.trusted_keys(listed.text)  # the published list is a valid --trusted-keys file
