"""A large demo world generated and written in chunks of customers, in constant memory.

``generate_world`` calls ``generate_chunked`` above its ``chunk_threshold`` (200,000 customers
by default). Each chunk of ``chunk_customers`` customers is a small world of its own random
streams (``SeedSequence(seed)`` spawns one per chunk) sharing one product catalogue and one
campaign calendar; its ids continue the previous chunks' (``formats.ID_OFFSETS``) and its rows
are appended to one file per table (``writer.TableStream``: a Parquet row group or CSV block
per chunk). Peak memory is that of one chunk, whatever the number of customers.

The same arguments still give byte-identical files, but not the files of an unchunked world of
the same seed. ``truth.json`` of a chunked world is reduced: row counts, clean row counts, dirt
counts per kind, the products and the campaigns; the measured truths (segments, CLV, funnel,
categories, association, repurchase cycle, time, A/B tests, feedback) are left out
(``truth["chunked"]["omitted"]``). ``truth_customers.parquet`` and ``truth_dirt.parquet`` are
complete.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from custlens.demo import formats as F
from custlens.demo.baskets import build_orders
from custlens.demo.behaviour import build_events
from custlens.demo.dirt import (
    CUSTOMER_KINDS,
    NOT_ERRORS,
    ORDER_KINDS,
    apply_customer_dirt,
    plan_order_rows,
)
from custlens.demo.engagement import build_responses
from custlens.demo.feedback import build_feedback
from custlens.demo.people import generate_customers
from custlens.demo.products import CATEGORIES, CATEGORY_SHARES, build_products
from custlens.demo.purchases import simulate_purchases
from custlens.demo.tables import (
    campaigns_table,
    customer_ids,
    events_table,
    feedback_table,
    orders_table,
    responses_table,
)
from custlens.demo.timeline import Calendar, build_campaigns, sized_budgets
from custlens.demo.writer import TableStream, write_table
from custlens.errors import UsageError

TABLES = ("customers", "orders", "events", "campaign_responses", "feedback")
OMITTED = (
    "segments",
    "clv",
    "categories",
    "new_product",
    "association",
    "repurchase_cycle",
    "time",
    "funnel",
    "campaigns.ab_tests",
    "feedback",
    "dirt.linked",
)


@contextmanager
def id_offsets(offsets: dict[str, int]):
    """Number the ids of each prefix after ``offsets[prefix]`` inside the block."""
    saved = dict(F.ID_OFFSETS)
    F.ID_OFFSETS.update(offsets)
    try:
        yield
    finally:
        F.ID_OFFSETS.clear()
        F.ID_OFFSETS.update(saved)


def generate_chunked(
    out_dir: Path,
    n_customers: int,
    seed: int,
    fmt: str,
    dirty_rate: float,
    headers: str,
    start: date,
    end: date,
    chunk_customers: int,
) -> dict:
    """Write the demo world chunk by chunk; returns the reduced ``truth.json`` as a dict.

    Parameters
    ----------
    out_dir : Path
        Output directory (created).
    n_customers : int
        Total number of customers.
    seed, fmt, dirty_rate, headers, start, end
        As for ``generate_world``; ``fmt`` must be ``"csv"`` or ``"parquet"``.
    chunk_customers : int
        Customers per chunk (the last chunk takes the rest).

    Returns
    -------
    dict
        The reduced truth (see the module docstring), also written as ``truth.json``.
    """
    if fmt not in ("csv", "parquet"):
        raise UsageError.of("format must be one of {formats}", formats="csv, parquet")
    if chunk_customers < 1:
        raise UsageError.of("chunk_customers must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    cal = Calendar(start, end)
    sizes = [chunk_customers] * (n_customers // chunk_customers)
    if n_customers % chunk_customers:
        sizes.append(n_customers % chunk_customers)
    seeds = np.random.SeedSequence(seed).spawn(len(sizes) + 1)
    products = build_products(np.random.default_rng(seeds[-1]), cal.n_days)
    campaigns = sized_budgets(build_campaigns(start, end), n_customers)
    campaign_ids = [c["campaign_id"] for c in campaigns]

    streams = {t: TableStream(out_dir, t, fmt, headers) for t in TABLES}
    truth_writers: dict[str, pq.ParquetWriter] = {}
    offsets = dict.fromkeys("CODSF", 0)
    counts = {"customers": Counter(), "orders": Counter()}
    clean = {"customers": 0, "orders": 0, "order_ids": 0}
    try:
        for k, size in enumerate(sizes):
            rng = [np.random.default_rng(s) for s in seeds[k].spawn(9)]
            with id_offsets(offsets):
                tables, truths, used = _chunk(
                    rng,
                    size,
                    cal,
                    products,
                    campaigns,
                    campaign_ids,
                    dirty_rate,
                    headers,
                    {t: streams[t].rows for t in ("customers", "orders")},
                )
            for name, table in tables.items():
                streams[name].write(table)
            del tables
            for name, table in truths.items():
                _append(truth_writers, out_dir / f"truth_{name}.parquet", table)
            for key, value in used["offsets"].items():
                offsets[key] += value
            for key in counts:
                counts[key].update(used["dirt"][key])
            for key in clean:
                clean[key] += used["clean"][key]
    finally:
        files = {t: s.close() for t, s in streams.items()}
        for writer in truth_writers.values():
            writer.close()
    files["campaigns"] = write_table(out_dir, "campaigns", campaigns_table(campaigns), fmt, headers)
    rows = {t: s.rows for t, s in streams.items()} | {"campaigns": len(campaigns)}
    truth = {
        "version": 1,
        "seed": seed,
        "n_customers": n_customers,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "format": fmt,
        "headers": headers,
        "dirty_rate": dirty_rate,
        "files": files,
        "rows": rows,
        "clean_rows": clean,
        "chunked": {"chunk_customers": chunk_customers, "chunks": len(sizes), "omitted": OMITTED},
        "truth_files": {"customers": "truth_customers.parquet", "dirt": "truth_dirt.parquet"},
        "time_unit": "D",
        "campaigns": {"n": len(campaigns), "ids": campaign_ids},
        "dirt": {
            "customers": {kind: int(counts["customers"][kind]) for kind in CUSTOMER_KINDS},
            "orders": {kind: int(counts["orders"][kind]) for kind in ORDER_KINDS},
            "not_errors": list(NOT_ERRORS),
        },
        "products": products.to_records(cal.start_day),
    }
    (out_dir / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return truth


def _append(writers: dict, path: Path, table: pa.Table) -> None:
    if path not in writers:
        writers[path] = pq.ParquetWriter(path, table.schema)
    writers[path].write_table(table.cast(writers[path].schema))


def _chunk(rng, n, cal, products, campaigns, campaign_ids, dirty_rate, headers, rows_before):
    """One chunk's tables (ids already offset by the caller) and what it used."""
    from custlens.demo.world import truth_customers_table, truth_dirt_table

    people = generate_customers(rng[0], n, cal)
    people.favourite = rng[1].choice(len(CATEGORIES), size=people.n, p=CATEGORY_SHARES)
    purchases = simulate_purchases(rng[2], people, cal)
    latent = purchases.latent
    orders = build_orders(rng[3], people, purchases, products, cal)
    del purchases
    out = {}
    cust_cols, cust_counts, records = apply_customer_dirt(
        rng[7], people.columns, people.reg_day + cal.start_day, dirty_rate
    )
    out["customers"] = cust_cols
    dirt = {
        "customers": {
            "row": records["row"] + rows_before["customers"],
            "code": np.asarray(CUSTOMER_KINDS)[records["code"]],
            "key": customer_ids(records["index"]),
        }
    }
    plan = plan_order_rows(rng[8], orders.line_order, dirty_rate)
    out["orders"] = orders_table(orders, plan, people, products, campaign_ids, cal, headers)
    dirty_rows = np.flatnonzero(plan.code >= 0)
    dirt["orders"] = {
        "row": dirty_rows + 2 + rows_before["orders"],
        "code": np.asarray(ORDER_KINDS)[plan.code[dirty_rows]],
        "key": out["orders"]["order_id"].take(pa.array(dirty_rows)),
    }
    events = build_events(rng[4], people, orders, products, cal)
    n_sessions = int(events.session_id.size)
    out["events"] = events_table(events, products, people.n, orders.n)
    del events
    responses, _ = build_responses(rng[5], people, orders, campaigns, cal)
    out["campaign_responses"] = responses_table(responses, campaign_ids, headers)
    feedback, _ = build_feedback(rng[6], people, orders, products, latent, cal)
    out["feedback"] = feedback_table(feedback, headers)
    truths = {
        "customers": truth_customers_table(people, latent, cal, records),
        "dirt": truth_dirt_table(dirt),
    }
    used = {
        "offsets": {
            "C": people.n,
            "O": int(orders.n),
            "D": int(plan.dirty_number.max(initial=0)),
            "S": n_sessions,
            "F": int(feedback["customer"].size),
        },
        "dirt": {"customers": cust_counts, "orders": plan.counts},
        "clean": {
            "customers": people.n,
            "orders": int(orders.line_order.size),
            "order_ids": int(orders.n),
        },
    }
    return out, truths, used
