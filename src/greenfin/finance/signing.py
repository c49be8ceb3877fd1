"""The platform's signature on carbon credit reports: Ed25519 over a canonical JSON encoding.

A signed report is an envelope ``{"report": {...}, "signature": {...}}``. The signature is
Ed25519 over the **canonical encoding** of ``report``: JSON with keys sorted, no
insignificant whitespace, UTF-8 (not ``\\u`` escapes), and no floating-point numbers at all
(every figure in a report is an integer or a decimal string), so any party can rebuild the
exact bytes in any language::

    canonical({"b": "1.50", "a": [1, "碳"]}) == b'{"a":[1,"\\xe7\\xa2\\xb3"],"b":"1.50"}'

Key management (decided here; the published rules are silent): the private key is never
stored. It is derived with HKDF-SHA256 from ``Settings.secret_key`` and the environment
name, so it is stable across restarts and machines that share the secret, and the
production key can never equal the demo key (production refuses the demo secret, and the
environment name is part of the derivation). Rotating ``secret_key`` rotates the signing
key; every report names the ``key_id`` (first 16 hex digits of SHA-256 of the raw public
key) that signed it, so a bank keeps the public keys it has seen and verifies old reports
offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from greenfin.errors import InvalidInput

ALGORITHM = "Ed25519"
_SALT = b"greenfin carbon credit report"
_INFO = "greenfin report signing key v1|{environment}"


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


def private_key(secret_key: str, environment: str) -> Ed25519PrivateKey:
    """The platform's signing key, derived from the secret key and environment (never stored)."""
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO.format(environment=environment).encode()
    ).derive(secret_key.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(seed)


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


def public_key_info(secret_key: str, environment: str) -> PublicKeyInfo:
    """The published public key: raw base64 and PEM, with its key id."""
    public = private_key(secret_key, environment).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return PublicKeyInfo(ALGORITHM, key_id(public), base64.b64encode(public_bytes(public)).decode(), pem.decode())


def sign(report: dict[str, Any], secret_key: str, environment: str) -> dict[str, Any]:
    """The signed envelope of ``report``."""
    key = private_key(secret_key, environment)
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


def verify(envelope: Any, public_key: Ed25519PublicKey) -> tuple[bool, str]:
    """Whether the envelope's signature is the platform's over its report, and why not."""
    if not isinstance(envelope, dict) or "report" not in envelope or "signature" not in envelope:
        return False, "not a signed report: expected an object with 'report' and 'signature'"
    signature = envelope["signature"]
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return False, f"unsupported signature algorithm; expected {ALGORITHM}"
    if signature.get("key_id") != key_id(public_key):
        return False, f"signed with key {signature.get('key_id')}, not with the key given ({key_id(public_key)})"
    try:
        body = canonical(envelope["report"])
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (InvalidInput, ValueError) as exc:
        return False, f"the report cannot be encoded canonically: {exc}"
    try:
        public_key.verify(value, body)
    except InvalidSignature:
        return False, "the signature does not match: the report was altered after signing"
    return True, f"valid: signed by key {signature['key_id']}"
