"""Tag system (标签体系): rule tags from tags.yaml, manual tags, statistics and history.

Categories: basic (基础: demographics), behaviour (行为), value (价值: RFM/CLV), scene (场景:
promotion sensitivity, channel preference). See docs/customer-value.md.
"""

from custlens.analytics.value.tags.engine import apply_rules, preview_rule, tag_frame
from custlens.analytics.value.tags.expr import RuleError, compile_rule
from custlens.analytics.value.tags.manual import combine_manual, imported_tags
from custlens.analytics.value.tags.rules import (
    CATEGORIES,
    TagRule,
    default_rules_path,
    load_rules,
    parse_rules,
    rules_path,
)
from custlens.analytics.value.tags.stats import (
    merge_rare_tags,
    merge_targets,
    tag_overlap,
    tag_stats,
)

__all__ = [
    "CATEGORIES",
    "RuleError",
    "TagRule",
    "apply_rules",
    "combine_manual",
    "compile_rule",
    "default_rules_path",
    "imported_tags",
    "load_rules",
    "merge_rare_tags",
    "merge_targets",
    "parse_rules",
    "preview_rule",
    "rules_path",
    "tag_frame",
    "tag_overlap",
    "tag_stats",
]
