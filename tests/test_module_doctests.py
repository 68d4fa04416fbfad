"""Every example in a docstring of the package runs (the notebook API's own examples and the
docs walkthrough are run by test_api_doctests.py), so documented behaviour cannot drift."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import custlens

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(custlens.__path__, "custlens.")
    if not m.name.startswith("custlens.api")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testmod(module, optionflags=flags, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_package_documents_by_example():
    """A floor, so that examples are not silently lost."""
    with_examples = [
        n
        for n in MODULES
        if doctest.DocTestFinder().find(importlib.import_module(n))
        and any(t.examples for t in doctest.DocTestFinder().find(importlib.import_module(n)))
    ]
    assert len(with_examples) >= 40
