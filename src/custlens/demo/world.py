"""``generate_world``: the whole demo world, its files and its planted truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from custlens.demo import formats as F
from custlens.demo import measures
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
from custlens.demo.people import PARENT_RATE, SEGMENTS, generate_customers
from custlens.demo.products import CATEGORIES, CATEGORY_SHARES, NEW_PRODUCT_DAYS, build_products
from custlens.demo.purchases import FORMULA_CYCLE_DAYS, simulate_purchases
from custlens.demo.tables import (
    campaigns_table,
    customer_ids,
    events_table,
    feedback_table,
    orders_table,
    responses_table,
)
from custlens.demo.timeline import Calendar, build_campaigns, sized_budgets
from custlens.demo.writer import write_table
from custlens.errors import UsageError

FORMATS = ("csv", "xlsx", "parquet")
HEADERS = ("zh", "en")
TRUTH_VERSION = 1
# above this many customers the world is generated in chunks (byte-identical output below it)
CHUNK_THRESHOLD = 200_000
CHUNK_CUSTOMERS = 100_000


def _check(
    n_customers: int, seed: int, fmt: str, dirty_rate: float, headers: str, start: date, end: date
) -> None:
    if seed < 0:
        raise UsageError("seed must be zero or positive")
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if headers not in HEADERS:
        raise UsageError(f"headers must be zh or en, not {headers!r}")
    if n_customers < 1:
        raise UsageError("n_customers must be at least 1")
    if not 0 <= dirty_rate <= 1:
        raise UsageError("dirty_rate must be between 0 and 1")
    if (end - start).days < 30:
        raise UsageError("the world must span at least 30 days (start < end)")


def generate_world(
    out_dir: Path,
    n_customers: int = 20_000,
    seed: int = 42,
    fmt: str = "csv",
    dirty_rate: float = 0.02,
    headers: str = "zh",
    start: date = date(2023, 1, 1),
    end: date = date(2025, 12, 31),
    chunk_threshold: int = CHUNK_THRESHOLD,
    chunk_customers: int = CHUNK_CUSTOMERS,
) -> dict:
    """Write the six import files plus the truth files and return ``truth.json`` as a dict.

    Files in ``out_dir``: ``customers, orders, events, campaigns, campaign_responses,
    feedback`` as ``.csv`` (UTF-8), ``.xlsx`` (a table longer than one sheet falls back to
    ``.csv``; see ``truth["files"]``) or ``.parquet`` (every column text, as in the CSV), with
    Chinese (``headers="zh"``, ``Column.zh``) or English (``Column.name``) headers; plus
    ``truth.json``, ``truth_customers.parquet`` (segment and drawn parameters per customer)
    and ``truth_dirt.parquet`` (every planted dirty row: table, file row, code, key).

    Times are local wall-clock times between ``start`` and ``end`` (keep ``end`` in the past:
    the import flags future dates). The same arguments give byte-identical files.

    >>> truth = generate_world(Path("demo"), n_customers=5_000, fmt="xlsx")  # doctest: +SKIP
    >>> truth["dirt"]["orders"]["negative_amount"]  # doctest: +SKIP

    A world of more than ``chunk_threshold`` customers is generated and written in chunks of
    ``chunk_customers`` customers (CSV or Parquet, constant memory; see
    ``custlens.demo.chunked``): its files differ from an unchunked world of the same seed and
    its ``truth.json`` is reduced to row and dirt counts.
    """
    _check(n_customers, seed, fmt, dirty_rate, headers, start, end)
    if n_customers > chunk_threshold:
        from custlens.demo.chunked import generate_chunked

        return generate_chunked(
            Path(out_dir), n_customers, seed, fmt, dirty_rate, headers, start, end, chunk_customers
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    cal = Calendar(start, end)

    people = generate_customers(rng[0], n_customers, cal)
    people.favourite = rng[1].choice(len(CATEGORIES), size=people.n, p=CATEGORY_SHARES)
    products = build_products(rng[1], cal.n_days)
    purchases = simulate_purchases(rng[2], people, cal)
    latent = purchases.latent
    orders = build_orders(rng[3], people, purchases, products, cal)
    del purchases
    campaigns = sized_budgets(build_campaigns(start, end), n_customers)
    campaign_ids = [c["campaign_id"] for c in campaigns]

    files, rows = {}, {}

    def write(table: str, columns: dict) -> None:
        files[table] = write_table(out_dir, table, columns, fmt, headers)
        rows[table] = len(next(iter(columns.values())))

    cust_cols, cust_counts, records = apply_customer_dirt(
        rng[7], people.columns, people.reg_day + cal.start_day, dirty_rate
    )
    dirt = {
        "customers": {
            "row": records["row"],
            "code": np.asarray(CUSTOMER_KINDS)[records["code"]],
            "key": customer_ids(records["index"]),
        }
    }
    write("customers", cust_cols)
    del cust_cols

    plan = plan_order_rows(rng[8], orders.line_order, dirty_rate)
    linked = _linked_rows(
        people.n, records, orders.customer[orders.line_order[plan.source]], plan.code
    )
    order_cols = orders_table(orders, plan, people, products, campaign_ids, cal, headers)
    dirty_rows = np.flatnonzero(plan.code >= 0)
    dirt["orders"] = {
        "row": dirty_rows + 2,
        "code": np.asarray(ORDER_KINDS)[plan.code[dirty_rows]],
        "key": order_cols["order_id"].take(pa.array(dirty_rows)),
    }
    write("orders", order_cols)
    del order_cols

    events = build_events(rng[4], people, orders, products, cal)
    funnel = measures.measure_funnel(events)
    write("events", events_table(events, products, people.n, orders.n))
    del events

    write("campaigns", campaigns_table(campaigns))
    responses, ab_truth = build_responses(rng[5], people, orders, campaigns, cal)
    write("campaign_responses", responses_table(responses, campaign_ids, headers))
    feedback, feedback_truth = build_feedback(rng[6], people, orders, products, latent, cal)
    write("feedback", feedback_table(feedback, headers))

    _write_truth_tables(out_dir, people, latent, cal, dirt, records)
    truth = {
        "version": TRUTH_VERSION,
        "seed": seed,
        "n_customers": n_customers,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "format": fmt,
        "headers": headers,
        "dirty_rate": dirty_rate,
        "files": files,
        "rows": rows,
        "clean_rows": {
            "customers": people.n,
            "orders": int(orders.line_order.size),
            "order_ids": int(orders.n),
        },
        "truth_files": {"customers": "truth_customers.parquet", "dirt": "truth_dirt.parquet"},
        "time_unit": "D",
        "segments": measures.measure_segments(people, orders, latent, cal),
        "clv": _clv_truth(people, latent),
        "categories": measures.measure_categories(orders, products),
        "new_product": {
            "days": NEW_PRODUCT_DAYS,
            "definition": "0 <= order date - launch date <= 90 days",
            "share_of_lines": round(float(orders.is_new.mean()), 4),
        },
        "association": measures.measure_association(orders, products),
        "repurchase_cycle": measures.measure_cycle(orders, products, FORMULA_CYCLE_DAYS),
        "time": measures.measure_time(orders, cal),
        "funnel": funnel,
        "campaigns": {
            "n": len(campaigns),
            "ab_tests": ab_truth,
            "items": [
                {
                    "campaign_id": c["campaign_id"],
                    "name": c["name"],
                    "start": c["start"].isoformat(),
                    "end": c["end"].isoformat(),
                    "ab_test": c["ab"] is not None,
                }
                for c in campaigns
            ],
        },
        "feedback": feedback_truth,
        "dirt": {
            "customers": cust_counts,
            "orders": plan.counts,
            "not_errors": list(NOT_ERRORS),
            "linked": linked,
            "notes": "each dirty row has exactly one problem; a negative_amount row "
            "also breaks quantity*unit_price-discount and counts as negative_amount only; "
            "rows are listed in truth_dirt.parquet (row 1 is the header)",
        },
        "products": products.to_records(cal.start_day),
    }
    (out_dir / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return truth


def _clv_truth(people, latent) -> dict:
    pooled = measures.pooled_parameters(people, latent)
    return {
        "time_unit": "D",
        "model": "BG/NBD + Gamma-Gamma; per-segment parameters under truth['segments']",
        "clock": "purchases follow BG/NBD in operational days: calendar days weighted by the "
        "daily intensity (weekday, season, promotions; mean 1 over the world), so a fit in "
        "calendar days is close to, not exactly, the planted parameters",
        "first_purchase": "registration day or shortly after; not counted as a repeat purchase",
        "monetary": "Gamma-Gamma applies to every BG/NBD order total (first and repeat)",
        "excluded": f"about {PARENT_RATE:.1%} of customers also buy 奶粉 every ~28 days; those "
        "routine orders are outside BG/NBD (truth_customers.formula_orders counts them)",
        "pooled": pooled,
        "buyers": int(latent["buyer"].sum()),
        "never_purchased": int((~latent["buyer"]).sum()),
    }


def _linked_rows(n: int, records: dict, row_customer: np.ndarray, row_code: np.ndarray) -> dict:
    """Order rows whose customer row is rejected (invalid phone / missing name or phone)."""
    rejected = np.zeros(n, dtype=bool)
    bad = np.isin(
        records["code"], [CUSTOMER_KINDS.index(c) for c in ("invalid_phone", "missing_required")]
    )
    rejected[records["index"][bad]] = True
    has_id = row_code != ORDER_KINDS.index("missing_required")
    hit = rejected[row_customer] & has_id
    return {
        "rejected_customers": int(bad.sum()),
        "order_rows_of_rejected_customers": int(hit.sum()),
        "clean_order_rows_of_rejected_customers": int((hit & (row_code < 0)).sum()),
        "note": "these order rows are themselves clean (or carry their own one problem) but "
        "point at a customer whose row the import rejects: expect them as orphans",
    }


def _write_truth_tables(
    out_dir: Path, people, latent, cal: Calendar, dirt: dict, records: dict
) -> None:
    pq.write_table(
        truth_customers_table(people, latent, cal, records), out_dir / "truth_customers.parquet"
    )
    pq.write_table(truth_dirt_table(dirt), out_dir / "truth_dirt.parquet")


def truth_customers_table(people, latent, cal: Calendar, records: dict) -> pa.Table:
    """Segment, drawn parameters and planted customer problem of every customer."""
    n = people.n
    buyer = latent["buyer"]
    first = np.floor(latent["t0"]).astype(np.int64)
    code = np.full(n, -1)
    own = records["code"] != CUSTOMER_KINDS.index("duplicate_row")
    code[records["index"][own]] = records["code"][own]
    return pa.table(
        {
            "customer_id": customer_ids(np.arange(n)),
            "segment": F.take_text(list(SEGMENTS), people.segment),
            "is_parent": pa.array(people.parent),
            "registration_date": pa.array((people.reg_day + cal.start_day).astype("datetime64[D]")),
            "first_purchase_date": pa.array(
                np.where(buyer, first + cal.start_day, 0).astype("datetime64[D]"), mask=~buyer
            ),
            "lambda": pa.array(latent["lam"]),
            "p": pa.array(latent["p"]),
            "nu": pa.array(latent["nu"]),
            "horizon_operational_days": pa.array(latent["horizon_op"]),
            "horizon_calendar_days": pa.array(np.where(buyer, cal.n_days - latent["t0"], 0.0)),
            "repeat_transactions": pa.array(latent["x"]),
            "bgnbd_orders": pa.array(latent["x"] + buyer.astype(np.int64)),
            "formula_orders": pa.array(latent["formula_orders"]),
            "alive_at_end": pa.array(buyer & ~latent["died"]),
            "dirt": F.take_text(list(CUSTOMER_KINDS), code),
        }
    )


def truth_dirt_table(dirt: dict) -> pa.Table:
    """Every planted dirty row: table, file row, code, key and whether it is an error."""
    parts = [
        pa.table(
            {
                "table": pa.array([table] * len(d["row"]), pa.string()),
                "row": pa.array(d["row"], pa.int64()),
                "code": pa.array(d["code"].astype(str), pa.string()),
                "key": d["key"],
                "is_error": pa.array(~np.isin(d["code"], NOT_ERRORS)),
            }
        )
        for table, d in dirt.items()
    ]
    return pa.concat_tables(parts)
