"""The Python API's examples run as doctests on the bundled demo world and CDNOW data, and
every public name of ``import custlens as cl`` carries a numpydoc docstring with an example."""

from __future__ import annotations

import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import custlens
import custlens.api

# the modules whose examples document the notebook API
MODULES = (
    "custlens.api",
    "custlens.api.workspace",
    "custlens.api.value",
    "custlens.api.behaviour",
    "custlens.api.reporting",
    "custlens.analytics.clv.bgnbd",
    "custlens.analytics.clv.gamma_gamma",
    "custlens.analytics.clv.likelihood",
)
SECTIONS = ("Parameters\n", "Returns\n", "Examples\n")
WALKTHROUGH = Path(__file__).parents[1] / "docs" / "python-api.md"


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_walkthrough_runs():
    result = doctest.testfile(
        str(WALKTHROUGH), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted >= 20, "docs/python-api.md lost its examples"
    assert result.failed == 0, f"{result.failed} examples of docs/python-api.md failed"


def test_top_level_names_are_the_api():
    assert set(custlens.API_NAMES) == set(custlens.api.__all__)
    for name in custlens.API_NAMES:
        assert getattr(custlens, name) is getattr(custlens.api, name)
    with pytest.raises(AttributeError):
        custlens.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", sorted(custlens.api.__all__))
def test_public_names_have_numpydoc_examples(name):
    obj = getattr(custlens.api, name)
    doc = inspect.getdoc(obj) or ""
    needed = ("Examples\n",) if inspect.isclass(obj) or name == "load_cdnow" else SECTIONS
    missing = [s.strip() for s in needed if s not in doc]
    assert not missing, f"{name}: docstring lacks {missing}"
    assert ">>> " in doc, f"{name}: no example to run"
