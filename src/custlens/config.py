"""Workspace settings (``custlens.toml``). Built explicitly, never at import time."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from custlens.errors import InputError

CONFIG_FILE = "custlens.toml"


@dataclass
class QualitySettings:
    """Thresholds of the data-quality rules (see docs/data-quality.md)."""

    amount_tolerance: float = 0.01  # |amount - (quantity x unit_price - discount)|
    outlier_median_multiple: float = 5.0  # amount > k x the customer's median ...
    outlier_sd: float = 3.0  # ... and > mean + k sd of the customer's other orders
    outlier_min_orders: int = 4  # other orders needed before the outlier rule applies
    burst_orders: int = 5  # more than N orders ...
    burst_minutes: int = 10  # ... within M minutes
    test_words: list[str] = field(default_factory=lambda: ["测试", "test"])


@dataclass
class RfmSettings:
    """RFM scoring and the 8-class segments (see docs/customer-value.md)."""

    recency_bins: list[int] = field(default_factory=lambda: [30, 90, 180])
    frequency_quantiles: int = 5
    monetary_quantiles: int = 5
    split: str = "mean"  # high/low against the mean or the median
    recency_method: str = "bins"  # bins (days, recency_bins) | quantiles (recency_quantiles)
    recency_quantiles: int = 5
    # explicit thresholds replace quantiles: score = 1 + number of thresholds <= value
    frequency_thresholds: list[float] = field(default_factory=list)
    monetary_thresholds: list[float] = field(default_factory=list)
    split_on: str = "score"  # compare scores (score) or raw R/F/M values (value)


@dataclass
class MetricsSettings:
    """Windows of the per-customer metrics, in days before the as-of date."""

    recent_days: int = 90  # "last 3 months" (spend growth, new-product share)
    year_days: int = 365  # annual spend (VIP tag)
    new_product_days: int = 90  # a product is new this long after its launch_date
    month_days: float = 30.0  # orders per month = orders / (max(tenure, month) / month)


@dataclass
class LifecycleSettings:
    """Rules of the lifecycle stages 新客 / 成长 / 成熟 / 衰退 / 流失, checked in that order."""

    churn_days: int = 180  # 流失: no purchase for more than this
    churn_p_alive: float = 0.0  # 流失 also when p_alive < this (0 = off; needs a p_alive column)
    new_days: int = 90  # 新客: one purchase day, at most this long ago
    decline_cycle_multiple: float = 2.0  # 衰退: silent > k x own mean inter-purchase days ...
    decline_min_days: int = 30  # ... and > this many days
    decline_growth: float = -0.5  # 衰退: or spend growth <= this (-0.5 = halved)
    mature_orders: int = 4  # 成熟: at least this many purchase days ...
    mature_days: int = 180  # ... over at least this tenure


@dataclass
class TagSettings:
    rules_file: str = "tags.yaml"  # in the workspace; the shipped defaults when missing
    min_share: float = 0.01  # tags held by fewer customers are reported as rare
    merge_rare: bool = False  # merge rare tags into their parent (or other_name) on analyze
    other_name: str = "其他"


@dataclass
class ClusterSettings:
    k: int = 0  # 0 = choose k by silhouette over k_min..k_max
    k_min: int = 2
    k_max: int = 8
    sample_size: int = 10000  # customers sampled to choose k (silhouette) and fit
    seed: int = 0
    columns: list[str] = field(default_factory=lambda: ["recency_days", "orders", "revenue"])


@dataclass
class StrategySettings:
    file: str = "strategies.yaml"  # in the workspace; the shipped defaults when missing


@dataclass
class Settings:
    workspace: Path
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    max_upload_mb: int = 200
    upload_preview_ttl_minutes: float = 60  # an upload not imported is deleted after this
    memory_limit: str = "1GB"  # DuckDB spills to <workspace>/.tmp beyond this
    quality: QualitySettings = field(default_factory=QualitySettings)
    rfm: RfmSettings = field(default_factory=RfmSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    tags: TagSettings = field(default_factory=TagSettings)
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    strategies: StrategySettings = field(default_factory=StrategySettings)

    @property
    def lang(self) -> str:
        return "en" if self.locale.startswith("en") else "zh"

    @classmethod
    def load(cls, workspace: Path) -> Settings:
        path = Path(workspace) / CONFIG_FILE
        data: dict[str, Any] = {}
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"{path}: invalid TOML: {exc}") from exc
        return cls.from_dict(Path(workspace), data)

    @classmethod
    def from_dict(cls, workspace: Path, data: dict[str, Any]) -> Settings:
        general = dict(data.get("general", {}))
        spark = data.get("spark", {})
        if "master" in spark:
            general["spark_master"] = spark["master"]
        known = {f.name for f in fields(cls)} - {"workspace", *SECTIONS}
        unknown = set(general) - known
        if unknown:
            raise InputError(f"custlens.toml [general]: unknown keys {sorted(unknown)}")
        sections = {
            name: _section(kind, data.get(name, {}), name) for name, kind in SECTIONS.items()
        }
        settings = cls(workspace=workspace, **sections, **general)
        if settings.locale not in ("zh_CN", "en"):
            raise InputError("custlens.toml: locale must be zh_CN or en")
        return settings

    def to_toml(self) -> str:
        lines = [
            "# custlens workspace settings",
            "[general]",
            f'locale = "{self.locale}"          # zh_CN | en',
            f'timezone = "{self.timezone}"',
            f'currency = "{self.currency}"',
            f'engine = "{self.engine}"          # duckdb | spark',
            f"max_upload_mb = {self.max_upload_mb}",
            f'memory_limit = "{self.memory_limit}"   # DuckDB working memory; spills to disk beyond',
            "",
            "[spark]",
            f'master = "{self.spark_master}"    # e.g. spark://host:7077 for a cluster',
            "",
        ]
        for name in SECTIONS:
            lines.append(f"[{name}]")
            for key, value in asdict(getattr(self, name)).items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


SECTIONS: dict[str, type] = {
    "quality": QualitySettings,
    "rfm": RfmSettings,
    "metrics": MetricsSettings,
    "lifecycle": LifecycleSettings,
    "tags": TagSettings,
    "clusters": ClusterSettings,
    "strategies": StrategySettings,
}


def _section(kind: type, values: dict[str, Any], name: str) -> Any:
    known = {f.name for f in fields(kind)}
    unknown = set(values) - known
    if unknown:
        raise InputError(f"custlens.toml [{name}]: unknown keys {sorted(unknown)}")
    return kind(**values)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
