"""The OpenAPI document: every reference in it resolves (also for routes that read their body themselves)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    references = _references(document)
    assert "#/components/schemas/EventBatchIn" in references
    missing = {r for r in references if r.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()
    batch = document["paths"]["/api/v1/personal/events/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventBatchIn"
    }
