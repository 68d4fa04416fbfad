"""The quality report of `custlens clv validate`: the candidate models compared on a holdout,
the chosen one's forecasts against what customers then did, and a chart spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custlens.cli.clv_input import rounded, rows
from custlens.cli.common import Format, emit, stderr
from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.records import json_ready

if TYPE_CHECKING:
    import pandas as pd


def print_quality(
    frame: pd.DataFrame,
    time_unit: str,
    calibration_end: str,
    observation_end: str | None,
    model: str,
    penalizer: float,
    fmt: Format,
    lang: str,
) -> None:
    """Fit the candidates (``model`` auto: BG/NBD and Pareto/NBD) to ``calibration_end``,
    check them on the holdout to ``observation_end`` (default: the last order) and print the
    comparison, the verdict (stderr) and the chosen model's tables; JSON carries all of it."""
    import pandas as pd

    from custlens.analytics.clv import summary_from_orders, tracking_series
    from custlens.analytics.clv.plotting import holdout_by_frequency_spec
    from custlens.analytics.clv.quality import CANDIDATES, by_decile, choose_model

    if observation_end is None:  # default: the holdout runs to the last order
        dates = pd.to_datetime(frame["order_date"], errors="coerce", format="ISO8601")
        observation_end = str(dates.max().date()) if dates.notna().any() else None
    s = summary_from_orders(
        frame, time_unit=time_unit, calibration_end=calibration_end, observation_end=observation_end
    )
    if s.attrs["observation_end"] <= s.attrs["calibration_end"]:
        raise InputError.of(
            "no holdout: give --observation-end after --calibration-end "
            "(or orders after the calibration end)"
        )
    check = choose_model(s, CANDIDATES if model == "auto" else (model,), penalizer)
    best = check.best
    if best is None:
        raise InputError.of("No holdout check: no model could be fitted on the calibration period.")
    fit, report = best.fit, best.report
    for note in [*fit.notes, *report.notes]:
        text = note.in_lang(lang) if hasattr(note, "in_lang") else note
        stderr.print(gettext("note: {note}", lang, note=text), highlight=False)
    for line in check.verdict(lang):
        stderr.print(line, style=None if check.adequate else "bold yellow", highlight=False)
    deciles = by_decile(report.per_customer)
    spend_deciles = None
    if report.spend is not None:
        spend_deciles = by_decile(report.per_customer, "predicted_spend", "actual_spend")
    if fmt == Format.json:
        tracking = tracking_series(
            fit.transaction_model,
            frame,
            s.attrs["calibration_end"],
            s.attrs["observation_end"],
            summary=s,
            spend_model=fit.spend_model,
        )
        out = {
            "fit": fit.to_dict(),
            "model_check": check.to_dict(lang),
            "calibration_end": s.attrs["calibration_end"],
            "observation_end": s.attrs["observation_end"],
            **report.to_dict(),
            "by_decile": rows(deciles, index=False),
            "spend_by_decile": None if spend_deciles is None else rows(spend_deciles, index=False),
            "chart": holdout_by_frequency_spec(report.by_frequency, "purchases", lang),
            "tracking": rows(tracking, index=False),
        }
        if report.notes:
            out["notes"] = report.notes
        emit(json_ready(out), fmt)
        return
    drop = {"degenerate_reasons"} | ({"failed"} if all(c.fit for c in check.candidates) else set())
    compared = [{k: v for k, v in r.items() if k not in drop} for r in check.rows()]
    emit(rounded(json_ready(compared), 3), fmt, title="Models compared on the holdout", lang=lang)
    agg = [{"what": "repeat purchases", **report.purchases}]
    if report.spend:
        agg.append({"what": "spend", **report.spend})
    args = {
        "model": best.model_name,
        "start": s.attrs["calibration_end"],
        "end": s.attrs["observation_end"],
        "n": f"{report.duration:g}",
        "unit": fit.to_dict()["time_unit_name"],
    }
    title = "{model}: holdout {start} .. {end} ({n} {unit})"
    emit(rounded(json_ready(agg), 3), fmt, title=title, title_args=args, lang=lang)
    if fmt != Format.table:
        return
    emit(
        _by_frequency_rows(report.by_frequency, 3),
        fmt,
        title="Holdout purchases per customer by calibration frequency",
        lang=lang,
    )
    if report.spend_by_frequency is not None:
        emit(
            _by_frequency_rows(report.spend_by_frequency, 2),
            fmt,
            title="Holdout spend per customer by calibration frequency",
            lang=lang,
        )
    emit(
        rows(deciles, index=False, digits=2),
        fmt,
        title="Holdout purchases by decile of predicted purchases",
        lang=lang,
    )


def _by_frequency_rows(table: pd.DataFrame, digits: int) -> list[dict]:
    """The by-frequency table for a person: the censored group (7+) in the frequency column."""
    shown = table.assign(frequency=table["label"]).drop(columns="label")
    return rows(shown, index=False, digits=digits)
