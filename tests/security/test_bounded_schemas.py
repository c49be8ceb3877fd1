"""Issue 16, part 6: every number, string and list a client sends has a bound in its schema.

Walks every request body and parameter of ``/openapi.json``. What the schema does not bound
itself is bounded at the edge (``greenfin.http.InputGuard``): path and query strings by the
URL cap, file uploads (``contentMediaType``) by the upload cap, and the login form (``auth``, owned by the auth area)
by the body cap. A decimal may arrive as a JSON number or its text: the number's bounds and
``max_digits`` bound the text too.
"""

from __future__ import annotations

from typing import Any

from greenfin.app import create_app
from greenfin.http import MAX_URL_BYTES
from greenfin.settings import Settings

EXEMPT_BODIES = ("Body_login_", "ApiKeyCreate")  # auth's own forms: bounded by the body cap (auth area)


def _unbounded(schema: dict[str, Any], where: str, schemas: dict[str, Any], seen: frozenset[str]) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen or name.startswith(EXEMPT_BODIES):
            return []
        return _unbounded(schemas[name], name, schemas, seen | {name})
    found: list[str] = []
    branches = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    bounded_number = any(b.get("type") in ("number", "integer") and "maximum" in b for b in branches)
    for branch in branches:
        if branch.get("type") == "string" and bounded_number:
            continue  # a decimal's text form: its max_digits and the number's bounds apply to it
        found += _unbounded(branch, where, schemas, seen)
    kind = schema.get("type")
    if kind in ("integer", "number"):
        has_min = "minimum" in schema or "exclusiveMinimum" in schema
        has_max = "maximum" in schema or "exclusiveMaximum" in schema
        if not (has_min and has_max):
            found.append(f"{where}: {kind} without both bounds")
    elif kind == "string" and not ({"maxLength", "enum", "const"} & schema.keys()):
        if schema.get("format") not in ("date", "date-time", "binary") and "contentMediaType" not in schema:
            found.append(f"{where}: string without maxLength")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: list without maxItems")
        found += _unbounded(schema.get("items", {}), f"{where}[]", schemas, seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, f"{where}.{name}", schemas, seen)
    return found


def test_every_input_of_every_operation_is_bounded() -> None:
    app = create_app(Settings(environment="test", database_url="sqlite://", posting_interval_seconds=0))
    document = app.openapi()
    schemas = document["components"]["schemas"]
    unbounded: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                strings = [schema, *schema.get("anyOf", [])]
                if parameter["in"] in ("path", "query") and any(s.get("type") == "string" for s in strings):
                    continue  # bounded by the URL cap (MAX_URL_BYTES)
                unbounded += _unbounded(schema, f"{method.upper()} {path} ?{parameter['name']}", schemas, frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(content["schema"], f"{method.upper()} {path}", schemas, frozenset())
    assert unbounded == []
    assert MAX_URL_BYTES <= 8192
