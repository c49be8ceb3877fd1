"""Each test starts without the process caches of matching (answer records, the shelf)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from greenfin.market import service


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    service._RECORDS.clear()
    service._SHELVES.clear()
    yield
    service._RECORDS.clear()
    service._SHELVES.clear()
