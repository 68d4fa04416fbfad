"""Sentiment throughput: score N review texts (default 100,000) with the shipped model.

Texts are the 77 hand-written reviews of bench/data/sentiment_eval_zh.csv with a running
number appended, so no two are equal. Target: 100,000 reviews in under 60 s on 2 cores.
Prints seconds and reviews per second, and appends a line to bench/results/sentiment.jsonl.

    python bench/sentiment_bench.py [--reviews 100000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from custlens.analytics.satisfaction.sentiment import load_sentiment_model, score_sentiment

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results" / "sentiment.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=100_000)
    args = parser.parse_args()
    base = pd.read_csv(ROOT / "bench" / "data" / "sentiment_eval_zh.csv")["text"]
    texts = (
        base.sample(args.reviews, replace=True, random_state=0).reset_index(drop=True)
        + "。订单"
        + pd.Series(np.arange(args.reviews)).astype(str)
    ).tolist()
    load_sentiment_model()  # loading the weights is not scoring
    started = time.perf_counter()
    out = score_sentiment(texts)
    seconds = time.perf_counter() - started
    counts = out["sentiment_label"].value_counts().to_dict()
    print(f"{args.reviews:,} reviews in {seconds:.1f} s ({args.reviews / seconds:,.0f} per s)")
    record = {
        "bench": "sentiment_throughput",
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "reviews": args.reviews,
        "seconds": round(seconds, 2),
        "labels": counts,
    }
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
