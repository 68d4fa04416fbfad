"""Write the metric reference into docs/metrics.md (between the metrics markers).

    python -m custlens.analytics.measures_doc [docs/metrics.md]

The reference is generated from the metric catalogue (:mod:`custlens.analytics.measures`) in
English and Chinese; a test checks the committed document matches, so docs never drift from
code.
"""

from __future__ import annotations

import sys

from custlens.analytics.measures import COMPONENTS, MEASURES
from custlens.docgen import replace_section, write_section
from custlens.i18n import gettext

UNIT_ZH = {"count": "数量", "money": "金额", "rate": "比率", "days": "天数", "ratio": "比值"}
GOOD = {"up": "↑ higher is better · 越高越好", "down": "↓ lower is better · 越低越好"}
TEST = {
    "proportion": "two-proportion z · 双比例z检验",
    "welch": "Welch t · 韦尔奇t检验",
    None: "",
}


def metrics_markdown() -> str:
    """The two reference tables (metrics, then components) as Markdown.

    Returns
    -------
    str
        Markdown text, one row per measure and per component.

    Examples
    --------
    >>> "| `repurchase_rate` | Repurchase rate | 复购率 |" in metrics_markdown()
    True
    """
    out = [
        "### Metrics — 指标",
        "",
        "| id | name | 名称 | formula 公式 | unit 单位 | format 格式 | good 方向 | "
        "significance 显著性 | definition | 口径 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in MEASURES:
        only = {
            "events": " (behaviour log · 行为日志)",
            "feedback": " (feedback · 客户反馈)",
            "campaigns": " (campaign responses · 活动响应)",
        }
        only = only.get(m.source, "")
        out.append(
            f"| `{m.id}` | {m.name} | {gettext(m.name, 'zh')} | `{m.formula.text()}` | "
            f"{m.unit} · {UNIT_ZH[m.unit]} | `{m.fmt}` | {GOOD[m.good]} | {TEST[m.test]} | "
            f"{m.definition}{only} | {gettext(m.definition, 'zh')} |"
        )
    out += [
        "",
        "### Components — 组成项",
        "",
        "| component | definition | 说明 |",
        "|---|---|---|",
    ]
    out += [f"| `{k}` | {v} | {gettext(v, 'zh')} |" for k, v in COMPONENTS.items()]
    out.append("")
    return "\n".join(out)


def render(document: str) -> str:
    """``document`` with the text between the metrics markers replaced by the reference."""
    return replace_section(document, "metrics", metrics_markdown())


def main(path: str = "docs/metrics.md") -> None:
    """Rewrite the metric reference in the document at ``path``."""
    write_section(path, "metrics", metrics_markdown())


if __name__ == "__main__":
    main(*sys.argv[1:])
