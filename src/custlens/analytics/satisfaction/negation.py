"""The negation rule of the Chinese review sentiment: a cue that flips the evaluative word after it.

A negation cue (不, 没有, 一点也不, 没有想象中, 没有 ... 那么 ...) directly followed by an
evaluative word flips that word: the cue and the word are replaced by a stand-in of the
opposite polarity (好 or 差) before the linear model reads the text. An evaluative word is the
longest of: a word of the model's sentiment lexicon (HowNet's positive and negative words), a
product defect (异味, 色差, 破损 ...), or one of a few one-character words (好, 差, 卡 ...). A
cue before any other word (没有电梯, 不建议) is left to the linear model, as are fixed
expressions that merely start with a cue (不错, 不过, 不少, 无论 ...).
"""

from __future__ import annotations

import re
from collections.abc import Set

__all__ = ["flip_negations"]

_CUES = (
    "没有想象中的",
    "没有想象中",
    "没想象中",
    "没有说的那么",
    "没有那么",
    "没那么",
    "一点也不",
    "一点都不",
    "完全没有",
    "完全不",
    "并没有",
    "并不",
    "从不",
    "不是很",
    "不太",
    "不够",
    "不算",
    "不会",
    "没有",
    "不",
    "没",
    "无",
)
# words that begin with a cue but are not negations
_FIXED = (
    "不错",
    "不过",
    "不少",
    "不仅",
    "不但",
    "不管",
    "不论",
    "不断",
    "不禁",
    "不愧",
    "不得不",
    "不久",
    "无论",
    "没想到",
    "没得说",
    "不一样",
    "不知",
)
# comparative negation: 没有 / 不像 ... 那么 / 那样 / 这么 ("没有宣传的那么好")
_COMPARATIVE = r"(?:没有?|并?不像)[^，。！？!?,.；;、\s]{0,6}?(?:那么|那样|这么)"
_CUE_RE = re.compile(
    r"(?!"
    + "|".join(_FIXED)
    + r")("
    + "|".join([_COMPARATIVE, *_CUES])
    + r")([^，。！？!?,.；;、\s]{1,4})"
)
# one-character evaluative words a negation may bear on ("不卡", "没那么差"); longer spans must
# be words of the model's sentiment lexicon ("不干净", "没有异味")
_SINGLE_POSITIVE = frozenset("好对行准值美香甜爽亮新真满")
_SINGLE_NEGATIVE = frozenset("差坏卡贵慢脏臭烂吵旧破假糟难累")
# product defects, which HowNet (a lexicon of evaluative words) lacks: "没有异味" is praise
_DEFECTS = frozenset(
    [
        "异味",
        "异响",
        "色差",
        "破损",
        "毛病",
        "问题",
        "瑕疵",
        "划痕",
        "卡顿",
        "掉色",
        "起球",
        "漏水",
        "漏气",
        "脱线",
        "线头",
        "刺鼻",
        "磨损",
        "污渍",
    ]
)


def _polarity(span: str, positive: Set[str], negative: Set[str]) -> tuple[int, str] | None:
    """Length and flipped stand-in of the longest evaluative word ``span`` starts with."""
    for k in range(len(span), 1, -1):
        if span[:k] in positive:
            return k, "差"
        if span[:k] in negative or span[:k] in _DEFECTS:
            return k, "好"
    if span[0] in _SINGLE_POSITIVE:
        return 1, "差"
    if span[0] in _SINGLE_NEGATIVE:
        return 1, "好"
    return None


def flip_negations(
    texts: list[str], positive: Set[str] = frozenset(), negative: Set[str] = frozenset()
) -> list[str]:
    """Texts with each negated evaluative word replaced by its opposite (好 or 差).

    Parameters
    ----------
    texts : list of str
        Chinese texts.
    positive, negative : set of str, optional
        The sentiment lexicon (words of two characters or more); the defects and the
        one-character words are always known.

    Returns
    -------
    list of str
        The texts, in order; a text without a negated evaluative word is returned as is.

    Examples
    --------
    >>> flip_negations(["没有异味", "一点也不卡", "不太干净", "没有电梯", "质量不错"], {"干净"})
    ['好', '好', '差', '没有电梯', '质量不错']
    """
    out = []
    for text in texts:  # regular expressions and word look-ups work one text at a time
        pieces, last = [], 0
        for m in _CUE_RE.finditer(text):
            found = _polarity(m.group(2), positive, negative)
            if found is None:
                continue
            pieces += [text[last : m.start()], found[1]]
            last = m.start(2) + found[0]
        out.append("".join([*pieces, text[last:]]) if pieces else text)
    return out
