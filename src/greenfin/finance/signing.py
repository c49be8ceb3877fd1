"""The platform's signature on carbon credit reports: Ed25519 over a canonical JSON encoding.

A signed report is an envelope ``{"report": {...}, "signature": {...}}``. The signature is
Ed25519 over the **canonical encoding** of ``report``: JSON with keys sorted, no
insignificant whitespace, UTF-8 (not ``\\u`` escapes), and no floating-point numbers at all
(every figure in a report is an integer or a decimal string), so any party can rebuild the
exact bytes in any language::

    canonical({"b": "1.50", "a": [1, "碳"]}) == b'{"a":[1,"\\xe7\\xa2\\xb3"],"b":"1.50"}'

Key management: the signing key is a real Ed25519 key pair, never derived from a secret or
a default. ``greenfin finance keygen FILE`` writes a fresh private key (PEM, PKCS #8, mode
0600); production reads it from ``GREENFIN_SIGNING_KEY_FILE`` and refuses to start without
it. Demo, dev and test generate one under ``var/signing/`` on first use. Every report names
the ``key_id`` (first 16 hex digits of SHA-256 of the raw public key) that signed it; the
platform keeps a key list (key id → public key, valid from / to, table
``finance_signing_key``) published at ``GET /api/v1/finance/keys``, so that after a rotation
old reports stay verifiable under their key id, and a retired key never signs again.

Verification (:func:`verify_text`) never trusts local settings: the verifier is given the
public key or a trusted key list (optionally pinning one key id), and refuses anything but
the exact envelope — unknown or duplicate fields, a wrong ``sha256``, a key id not trusted,
a report issued outside its key's validity.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from greenfin.errors import InvalidInput

ALGORITHM = "Ed25519"


def canonical(document: Any) -> bytes:
    """The canonical bytes of a JSON document (sorted keys, compact, UTF-8, no floats)."""
    _refuse_floats(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _refuse_floats(value: Any, where: str = "report") -> None:
    if isinstance(value, float):
        raise InvalidInput(f"{where}: floating-point numbers are not allowed in a signed document")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{where}: keys must be strings")
            _refuse_floats(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_floats(item, f"{where}[{i}]")


def generate_key() -> Ed25519PrivateKey:
    """A fresh signing key from the operating system's random source."""
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    pkcs8 = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` to a new file readable by its owner only (0600); never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(
            f"{path} exists; a signing key is never overwritten (retire it, then write a new file)"
        ) from None
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem(key))
    os.chmod(path, 0o600)  # whatever the umask


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The private key in ``path`` (PEM, PKCS #8); refused if others may read the file."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"the signing key file {path} cannot be read ({exc.strerror})") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInput(f"the signing key file {path} may be read by others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InvalidInput(f"{path} holds no unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} holds no Ed25519 private key")
    return key


DEMO_KEY_FILE = Path("var/signing/report-signing-key.pem")


def platform_key(signing_key_file: Path | None, environment: str) -> Ed25519PrivateKey:
    """The platform's signing key: the configured file, or in demo/dev/test one generated under var/."""
    if signing_key_file is not None:
        return load_private_key(signing_key_file)
    if environment == "production":
        raise InvalidInput("GREENFIN_SIGNING_KEY_FILE must name the signing key file in production")
    if not DEMO_KEY_FILE.exists():
        with contextlib.suppress(InvalidInput):  # another process wrote it first
            write_private_key(DEMO_KEY_FILE, generate_key())
    return load_private_key(DEMO_KEY_FILE)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKeyInfo:
    algorithm: str
    key_id: str
    public_key: str  # base64 of the raw 32 bytes
    public_key_pem: str


def public_key_info(key: Ed25519PublicKey) -> PublicKeyInfo:
    """The published form of a public key: raw base64 and PEM, with its key id."""
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return PublicKeyInfo(ALGORITHM, key_id(key), base64.b64encode(public_bytes(key)).decode(), pem.decode())


def sign(report: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed envelope of ``report``."""
    body = canonical(report)
    return {
        "report": report,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(key.public_key()),
            "sha256": hashlib.sha256(body).hexdigest(),
            "value": base64.b64encode(key.sign(body)).decode(),
        },
    }


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key from base64 of the raw 32 bytes, or from PEM text."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(text.encode())
            if not isinstance(loaded, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return loaded
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise InvalidInput(f"not an Ed25519 public key (base64 of 32 bytes, or PEM): {exc}") from exc


ENVELOPE_FIELDS = frozenset({"report", "signature"})
SIGNATURE_FIELDS = frozenset({"algorithm", "key_id", "sha256", "value"})
KEY_FIELDS = frozenset({"key_id", "algorithm", "public_key", "public_key_pem", "valid_from", "valid_to"})


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier trusts, and when it signed (None: unbounded)."""

    key: Ed25519PublicKey
    valid_from: datetime | None = None
    valid_to: datetime | None = None


def strict_json(text: str) -> Any:
    """JSON with no duplicate keys, no NaN/Infinity and no floating-point numbers, or InvalidInput."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise InvalidInput(f"duplicate key {key!r}: an altered document")
            seen[key] = value
        return seen

    def refuse(value: str) -> Any:
        raise InvalidInput(f"{value} is not a number a signed document may hold")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=refuse, parse_float=refuse)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not a JSON document ({exc})") from None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"not a time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def trusted_keys(text: str) -> dict[str, TrustedKey]:
    """A key list (``{"keys": [...]}`` as ``GET /api/v1/finance/keys`` publishes it): key id → key.

    Every entry's key id must be the one its public key gives (a list that lies is refused).
    """
    document = strict_json(text)
    entries = document.get("keys") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise InvalidInput('a trusted key list is {"keys": [{"key_id", "public_key", "valid_from", …}]}')
    found: dict[str, TrustedKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not {"key_id", "public_key"} <= set(entry) or set(entry) - KEY_FIELDS:
            raise InvalidInput(f"a key entry holds key_id, public_key and optionally {', '.join(sorted(KEY_FIELDS))}")
        key = load_public_key(str(entry["public_key"]))
        if key_id(key) != entry["key_id"]:
            raise InvalidInput(f"key {entry['key_id']!r} of the list is not the id of its public key")
        found[key_id(key)] = TrustedKey(key, _time(entry.get("valid_from")), _time(entry.get("valid_to")))
    return found


def verify_text(text: str, trusted: dict[str, TrustedKey], *, pinned_key_id: str | None = None) -> tuple[bool, str]:
    """Whether ``text`` is exactly a report signed by a trusted key, and why not."""
    try:
        envelope = strict_json(text)
    except InvalidInput as exc:
        return False, exc.detail
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_FIELDS:
        extra = sorted(set(envelope) - ENVELOPE_FIELDS) if isinstance(envelope, dict) else []
        return False, "not a signed report: expected exactly 'report' and 'signature'" + (
            f"; unsigned extra fields {', '.join(extra)}" if extra else ""
        )
    signature = envelope["signature"]
    if not isinstance(signature, dict) or set(signature) != SIGNATURE_FIELDS:
        return False, f"the signature must hold exactly {', '.join(sorted(SIGNATURE_FIELDS))}"
    if not isinstance(envelope["report"], dict):
        return False, "the report must be a JSON object"
    if signature["algorithm"] != ALGORITHM:
        return False, f"unsupported signature algorithm; expected {ALGORITHM}"
    named = signature["key_id"]
    if pinned_key_id is not None and named != pinned_key_id:
        return False, f"signed with key {named}, not with the pinned key {pinned_key_id}"
    trusted_key = trusted.get(named) if isinstance(named, str) else None
    if trusted_key is None:
        return False, f"signed with key {named}, which is not a trusted key"
    try:
        body = canonical(envelope["report"])
        value = base64.b64decode(str(signature["value"]), validate=True)
    except (InvalidInput, ValueError) as exc:
        return False, f"the report cannot be encoded canonically: {exc}"
    if signature["sha256"] != hashlib.sha256(body).hexdigest():
        return False, "signature.sha256 is not the SHA-256 of the report: an altered document"
    try:
        trusted_key.key.verify(value, body)
    except InvalidSignature:
        return False, "the signature does not match: the report was altered after signing"
    if trusted_key.valid_from is not None or trusted_key.valid_to is not None:
        try:
            issued = _time(envelope["report"].get("issued_at"))
        except InvalidInput:
            issued = None
        if issued is None:
            return False, "the report names no issue time to check against its key's validity"
        if (trusted_key.valid_from and issued < trusted_key.valid_from) or (
            trusted_key.valid_to and issued > trusted_key.valid_to
        ):
            return False, f"issued at {issued.isoformat()}, outside the validity of key {named}"
    return True, f"valid: signed by key {named}"


def verify(envelope: Any, public_key: Ed25519PublicKey) -> tuple[bool, str]:
    """Whether a parsed envelope is signed by ``public_key`` (strictly, as :func:`verify_text`)."""
    try:
        text = json.dumps(envelope, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        return False, f"not a JSON document ({exc})"
    return verify_text(text, {key_id(public_key): TrustedKey(public_key)})
