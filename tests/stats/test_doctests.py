"""The worked examples in the statistics modules' docstrings run."""

from __future__ import annotations

import doctest

import pytest

from greenfin.stats import methodology, rules


@pytest.mark.parametrize("module", [rules, methodology])
def test_docstring_examples(module: object) -> None:
    failed, attempted = doctest.testmod(module, raise_on_error=False, verbose=False)  # type: ignore[arg-type]
    assert attempted > 0
    assert failed == 0
