"""Reference data sets shipped with custlens: the CDNOW sample for the CLV models.

CDNOW is the public data set of Fader & Hardie: every purchase, up to the end of June 1998, of
the people who first bought at the online music retailer CDNOW in the first quarter of 1997.
custlens ships the 1/10 systematic sample (2,357 customers, 6,919 transaction rows) on which
the published BG/NBD, Pareto/NBD and Gamma-Gamma results were obtained, with the reference
tables that check custlens reproduces them.

Source: the files of the ``lifetimes`` package (version 0.11.3, ``lifetimes/datasets/``;
MIT licence, copyright (c) 2015 Cameron Davidson-Pilon), dates rewritten as ``YYYY-MM-DD``;
the summaries and ``reference.json`` were recomputed from them. Original data and papers:
Fader & Hardie (2001), *Interfaces* 31(3); Fader, Hardie & Lee (2005), *Marketing Science*
24(2); Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value". The files, their
columns, the benchmark definitions and the licence text are in ``cdnow/README.md`` next to
the data.

Every loader reads the package data through :mod:`importlib.resources`, so it works from a
wheel, an editable install or a source checkout alike.

Examples
--------
>>> from custlens.datasets import load_cdnow
>>> load_cdnow().shape
(6919, 5)
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_OBSERVATION_END",
    "cdnow_file",
    "load_cdnow",
    "load_cdnow_holdout",
    "load_cdnow_reference",
    "load_cdnow_summary",
    "write_cdnow",
]

#: Last day of the 39-week calibration period of the published CDNOW benchmark.
CDNOW_CALIBRATION_END = "1997-09-30"
#: Last day of the holdout period (weeks 40-78).
CDNOW_OBSERVATION_END = "1998-06-30"

_CDNOW_FILES = (
    "cdnow_sample.csv",
    "cdnow_calibration_summary.csv",
    "cdnow_sample_holdout_frequency.csv",
    "reference.json",
    "README.md",
)


def cdnow_file(name: str = "cdnow_sample.csv") -> Traversable:
    """One shipped CDNOW file as an :mod:`importlib.resources` resource.

    Parameters
    ----------
    name : str, default "cdnow_sample.csv"
        ``cdnow_sample.csv``, ``cdnow_calibration_summary.csv``,
        ``cdnow_sample_holdout_frequency.csv``, ``reference.json`` or ``README.md``.

    Returns
    -------
    importlib.resources.abc.Traversable
        Open it with ``.open()`` or read it with ``.read_bytes()`` / ``.read_text()``.

    Raises
    ------
    ValueError
        For any other name.

    Examples
    --------
    >>> cdnow_file().read_text(encoding="utf-8").splitlines()[0]
    'customer_id,sample_id,order_date,quantity,amount'
    """
    if name not in _CDNOW_FILES:
        raise ValueError(f"no CDNOW file {name!r}; shipped: {', '.join(_CDNOW_FILES)}")
    return files(__package__).joinpath("cdnow", name)


def _read_csv(name: str, **kwargs: Any) -> pd.DataFrame:
    with cdnow_file(name).open("rb") as fh:
        return pd.read_csv(fh, **kwargs)


def load_cdnow() -> pd.DataFrame:
    """Transactions of the 2,357-customer CDNOW sample, one row per transaction row.

    Returns
    -------
    pandas.DataFrame
        6,919 rows with ``customer_id`` (the ID in the full cohort, 1..23,570),
        ``sample_id`` (the ID in the sample, 1..2,357), ``order_date`` (datetime64, no time of
        day; 1997-01-01 .. 1998-06-30), ``quantity`` (CDs) and ``amount`` (US dollars, 2 dp).
        A customer may have several rows on one day; the CLV summary merges them.

    Examples
    --------
    >>> orders = load_cdnow()
    >>> orders.shape
    (6919, 5)
    >>> orders["customer_id"].nunique()
    2357
    >>> str(orders["order_date"].min().date()), str(orders["order_date"].max().date())
    ('1997-01-01', '1998-06-30')

    The published BG/NBD benchmark is fitted on weeks up to the calibration end:

    >>> from custlens.analytics.clv.summary import summary_from_orders
    >>> summary = summary_from_orders(
    ...     orders, time_unit="W", calibration_end=CDNOW_CALIBRATION_END
    ... )
    >>> int((summary["frequency"] > 0).sum())
    946
    """
    return _read_csv("cdnow_sample.csv", parse_dates=["order_date"])


def load_cdnow_summary() -> pd.DataFrame:
    """The reference calibration summary of the CDNOW sample (time unit: weeks).

    Computed from the transactions with the benchmark's definitions (same-day purchases
    merged; calibration 1997-01-01 .. 1997-09-30); it equals the summary shipped with
    ``lifetimes``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (2,357 rows): ``frequency`` (repeat transactions),
        ``recency`` and ``T`` (weeks), ``monetary_value`` (mean repeat spend, 0 without
        repeats).

    Examples
    --------
    >>> summary = load_cdnow_summary()
    >>> summary.shape
    (2357, 4)
    >>> int(summary["frequency"].sum())
    2457
    """
    return _read_csv("cdnow_calibration_summary.csv", index_col="customer_id")


def load_cdnow_holdout() -> pd.DataFrame:
    """Repeat transactions of each sample customer in the holdout weeks 40-78.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (2,357 rows): ``sample_id`` and ``holdout_frequency`` (number
        of purchase days from 1997-10-01 to 1998-06-30, same-day purchases merged).

    Examples
    --------
    >>> int(load_cdnow_holdout()["holdout_frequency"].sum())
    1882
    """
    return _read_csv("cdnow_sample_holdout_frequency.csv", index_col="customer_id")


def load_cdnow_reference() -> dict[str, Any]:
    """Published and recomputed benchmark values for the CDNOW sample.

    Returns
    -------
    dict
        ``published``: the values quoted from the papers (BG/NBD, Pareto/NBD, Gamma-Gamma),
        each with its source; ``verified``: the same quantities recomputed independently
        (maximum-likelihood parameters, log-likelihoods, holdout totals and means by
        calibration frequency); ``definitions``: how frequency, recency, T and monetary value
        are defined.

    Examples
    --------
    >>> ref = load_cdnow_reference()
    >>> {k: ref["published"]["bgnbd"][k] for k in ("r", "alpha", "a", "b")}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> ref["verified"]["sample_2357"]["gamma_gamma"]["mle_repeat_mean"]["p"]
    6.2496
    """
    return json.loads(cdnow_file("reference.json").read_text(encoding="utf-8"))


def write_cdnow(directory: str | Path) -> list[Path]:
    """Write the CDNOW sample transactions and their README into ``directory``.

    Parameters
    ----------
    directory : str or pathlib.Path
        Created if missing; ``cdnow_sample.csv`` and ``cdnow_README.md`` in it are replaced.

    Returns
    -------
    list of pathlib.Path
        The files written: the transactions CSV (byte for byte the shipped file) first.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_cdnow(tmp)]
    ['cdnow_sample.csv', 'cdnow_README.md']
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, target in (
        ("cdnow_sample.csv", "cdnow_sample.csv"),
        ("README.md", "cdnow_README.md"),
    ):
        with as_file(cdnow_file(name)) as source:
            shutil.copyfile(source, out / target)
        written.append(out / target)
    return written
