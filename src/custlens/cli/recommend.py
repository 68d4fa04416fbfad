"""`custlens recommend evaluate|customer|export`: product recommendations (个性化推荐).

Thin over custlens.analytics.recommend; analytics are imported inside the commands, so that
`custlens --help` stays fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    emit,
    export_masked,
    handle_errors,
    phrase,
    say,
    stderr,
    workspace,
)

recommend_app = typer.Typer(
    no_args_is_help=True, help="Product recommendations: evaluate, one customer, export lists."
)


class Group(str, Enum):
    """What popularity is counted within: the stored RFM segment or the customer's region."""

    auto = "auto"
    segment = "segment"
    region = "region"


StrictPriceOpt = Annotated[
    bool,
    typer.Option(
        "--strict-price",
        help="Leave out items priced outside the customer's price band "
        "(by default price only weighs in)",
    ),
]
GroupOpt = Annotated[
    Group,
    typer.Option(
        "--group",
        help="Popularity within the RFM segment or region [auto: segment "
        "when `custlens analyze` has run]",
    ),
]
LABELS = {
    "name": "Recommender",
    "precision": "Precision@k",
    "recall": "Recall@k",
    "ndcg": "NDCG@k",
    "hit_rate": "Hit rate",
    "coverage": "Catalogue coverage",
    "validation_recall": "Validation recall@k",
    "customers": "Customers",
    "source": "Recommender",
    "reason": "Reason",
}
NAMES = {
    "popularity": "Segment/region popularity",
    "preference": "Preferred categories' best-sellers",
    "cooccurrence": "Bought together",
    "itemcf": "Item-based CF",
    "als": "ALS (implicit)",
    "buy_again": "Buy again",
    "blend": "Blend",
    "served": "Served",
}


def _data(ws: Any, group: Group, engine: Any = None):
    # the purchase lines (the big part) on the chosen engine; the customers' groups read
    # the analysis results stored in the workspace, so they stay on DuckDB
    from custlens.analytics.recommend.interactions import purchase_data, purchase_lines
    from custlens.analytics.recommend.served import customer_groups
    from custlens.analytics.recommend.signals import with_events
    from custlens.store import results

    segments = None
    if group != Group.region:
        stored = results.stored(ws, "rfm_scores")
        if stored.count().execute():
            segments = stored
        elif group == Group.segment:
            results.require_run(ws)
    groups = customer_groups(ws.table("customers", "duckdb"), segments).to_pandas()
    eng = engine.value if engine else None
    data = purchase_data(purchase_lines(ws.table("orders", eng)), groups)
    return with_events(data, ws.table("events", eng))


def _lang(ws: Any, lang: Any) -> str:
    return lang.value if lang else ws.settings.lang


@recommend_app.command("evaluate")
@handle_errors
def evaluate_cmd(
    test_days: Annotated[int, typer.Option(help="Test window: the last N days")] = 30,
    recent_days: Annotated[int, typer.Option(help="Skip items bought in the last N days")] = 30,
    per_category: Annotated[int, typer.Option(help="Most items of one category per list")] = 4,
    group: GroupOpt = Group.auto,
    strict_price: StrictPriceOpt = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Offline evaluation on a time split: fit before the last N days, test on them;
    precision@10, recall@10, NDCG@10, hit rate and catalogue coverage of every recommender,
    the blend and the served lists. The served recommender is the best on recall@10 in a
    validation window inside the training period.

    The purchase lines the recommenders learn from are computed on the chosen engine
    (--engine spark); the models are fitted here.

    Example: custlens recommend evaluate -w shop --test-days 30 --format json
    """
    from custlens.analytics.recommend.evaluation import evaluate_recommenders

    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    with stderr.status(phrase("evaluating recommenders ...", lg)):
        rep = evaluate_recommenders(
            _data(ws, group, engine),
            test_days,
            recent_days=recent_days,
            per_category=per_category,
            strict_price=strict_price,
        )
    if fmt == Format.json:
        emit(rep, fmt)
        return
    rows = [{**r, "name": phrase(NAMES[r["name"]], lg)} for r in rep["results"]]
    say(
        "trained before {train_end}, tested to {test_end} on {n} customers; served: {served}",
        train_end=rep["train_end"],
        test_end=rep["test_end"],
        n=f"{rep['test_customers']:,}",
        served=phrase(NAMES[rep["served"]], lg),
    )
    if rep["lift_over_popularity"] is not None:
        say(
            "served recall@k over segment popularity: {lift:+.1%}", lift=rep["lift_over_popularity"]
        )
    cols = ["name", "precision", "recall", "ndcg", "hit_rate", "coverage", "validation_recall"]
    emit([{c: r[c] for c in cols} for r in rows], fmt, lang=lg, labels=LABELS)


def _fit(
    ws: Any,
    group: Group,
    recent_days: int,
    per_category: int,
    k: int = 10,
    strict: bool = False,
    engine: Any = None,
):
    from custlens.analytics.recommend.model import ProductRecommender

    data = _data(ws, group, engine)
    return ProductRecommender(
        k=k, recent_days=recent_days, per_category=per_category, strict_price=strict
    ).fit(data)


@recommend_app.command("customer")
@handle_errors
def customer_cmd(
    customer_id: Annotated[str, typer.Argument(help="Customer id")],
    recent_days: Annotated[int, typer.Option(help="Skip items bought in the last N days")] = 30,
    per_category: Annotated[int, typer.Option(help="Most items of one category per list")] = 4,
    group: GroupOpt = Group.auto,
    strict_price: StrictPriceOpt = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The customer's top 10 products with a reason each.

    The purchase lines the recommenders learn from are computed on the chosen engine
    (--engine spark); the models are fitted here.

    Example: custlens recommend customer C00000042 -w shop
    """
    from custlens.analytics.recommend.served import recommendations

    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    with stderr.status(phrase("fitting recommenders ...", lg)):
        model = _fit(ws, group, recent_days, per_category, strict=strict_price, engine=engine)
    table = recommendations(model, [customer_id], lg)
    table["source"] = [phrase(NAMES[s], lg) for s in table["source"]]
    cols = ["rank", "product_name", "category", "reason", "source"]
    emit(table.to_dict("records"), fmt, lang=lg, columns=cols, labels=LABELS)


@recommend_app.command("export")
@handle_errors
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .xlsx or .csv")],
    top: Annotated[int, typer.Option(help="Items per customer")] = 10,
    recent_days: Annotated[int, typer.Option(help="Skip items bought in the last N days")] = 30,
    per_category: Annotated[int, typer.Option(help="Most items of one category per list")] = 4,
    group: GroupOpt = Group.auto,
    strict_price: StrictPriceOpt = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    lang: LangOpt = None,
) -> None:
    """Every customer's list (campaign lists), customer names masked.

    The purchase lines the recommenders learn from are computed on the chosen engine
    (--engine spark); the models are fitted here.

    Example: custlens recommend export -w shop --top 10 --out lists.xlsx
    """

    from custlens.analytics.recommend.served import recommendations

    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    with stderr.status(phrase("fitting recommenders ...", lg)):
        model = _fit(
            ws, group, recent_days, per_category, k=top, strict=strict_price, engine=engine
        )
        table = recommendations(model, None, lg)
    table = table.drop(columns=["source"])
    n = export_masked(ws, table, out)
    say("{n} rows -> {path}", n=f"{n:,}", path=str(out))


def register(app: typer.Typer) -> None:
    """Add `custlens recommend ...` to the main app."""
    app.add_typer(
        recommend_app,
        name="recommend",
        help="Product recommendations: evaluate, one customer, export lists.",
    )
