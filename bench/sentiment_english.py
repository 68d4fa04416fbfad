"""Accuracy of the English review sentiment on a labelled English set shipped in a PyPI package.

Data: the source distribution of vaderSentiment 3.3.2 (MIT), fetched with ``pip download
--no-deps --no-binary :all:`` into a temporary folder, ships
``additional_resources/hutto_ICWSM_2014.tar.gz``: the evaluation sets of the VADER paper
(Hutto & Gilbert, ICWSM 2014), each sentence rated from -4 to 4 by about 20 people. Two are
reviews: 3,708 sentence snippets of Amazon product reviews and 10,605 of movie reviews.

A snippet is positive when its mean rating is above 0, negative below 0 (0 is left out); the
prediction is ``sentiment_score >= 0.5`` of :func:`custlens.analytics.satisfaction.sentiment.
score_sentiment` (English texts are scored by VADER). Three-class figures use the product's
neutral band against ratings in [-0.5, 0.5] as neutral. Caveat: the VADER authors reported
their own figures on these sets, so they are not unseen by the scorer's authors, only by
custlens.

    python bench/sentiment_english.py [--corpus-dir DIR]

Prints a Markdown table and appends a line to ``bench/results/sentiment.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from custlens.analytics.satisfaction.sentiment import score_sentiment

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results" / "sentiment.jsonl"
PACKAGE = "vaderSentiment==3.3.2"
SETS = {
    "Amazon product review snippets": "amazonReviewSnippets_GroundTruth.txt",
    "movie review snippets": "movieReviewSnippets_GroundTruth.txt",
}


def fetch(folder: Path) -> Path:
    """Download the source distribution and unpack it and its evaluation data into ``folder``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q"]
    subprocess.run([*cmd, "-d", str(folder), PACKAGE], check=True)
    for archive in folder.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    for inner in folder.rglob("hutto_ICWSM_2014.tar.gz"):
        with tarfile.open(inner) as tar:
            tar.extractall(inner.parent, filter="data")
    return folder


def read_set(path: Path) -> pd.DataFrame:
    """``rating`` (mean of the raters, -4..4) and ``text`` of one ground-truth file."""
    rows = [line.split("\t", 2) for line in path.read_text("utf-8", "replace").splitlines()]
    frame = pd.DataFrame([r for r in rows if len(r) == 3], columns=["id", "rating", "text"])
    return frame.assign(rating=frame["rating"].astype(float))


def figures(frame: pd.DataFrame) -> dict:
    """Binary and three-class accuracy and macro-F1 of the shipped scorer on ``frame``."""
    scored = score_sentiment(frame["text"].tolist())
    polar = (frame["rating"] != 0).to_numpy()
    truth = (frame["rating"][polar] > 0).astype(int)
    pred = (scored["sentiment_score"][polar] >= 0.5).astype(int)
    r = frame["rating"].to_numpy()
    three = np.where(r > 0.5, "positive", np.where(r < -0.5, "negative", "neutral"))
    label = scored["sentiment_label"].fillna("neutral")
    return {
        "n": int(polar.sum()),
        "accuracy": round(float(accuracy_score(truth, pred)), 4),
        "macro_f1": round(float(f1_score(truth, pred, average="macro")), 4),
        "three_class_n": len(frame),
        "three_class_accuracy": round(float(accuracy_score(three, label)), 4),
        "three_class_macro_f1": round(float(f1_score(three, label, average="macro")), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-dir", type=Path, help="folder with the unpacked package")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.corpus_dir or fetch(Path(tmp))
        sets = {name: read_set(next(folder.rglob(file))) for name, file in SETS.items()}
    rows = {name: figures(frame) for name, frame in sets.items()}
    print("| evaluation | n | accuracy | macro-F1 | 3-class n | 3-class acc. | 3-class F1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        print(
            f"| {name} | {r['n']:,} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} "
            f"| {r['three_class_n']:,} | {r['three_class_accuracy']:.3f} "
            f"| {r['three_class_macro_f1']:.3f} |"
        )
    record = {"bench": "sentiment_english", "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({**record, "package": PACKAGE, "results": rows}) + "\n")


if __name__ == "__main__":
    main()
