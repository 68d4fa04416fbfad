"""The sections of the workspace settings (``[quality]``, ``[rfm]``, ``[metrics]``,
``[lifecycle]``, ``[tags]``, ``[clusters]``, ``[strategies]``, ``[limits]`` in
``custlens.toml``): one dataclass each, with the shipped defaults. :class:`custlens.config.Settings`
holds one of each; docs/settings.md lists every key."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class QualitySettings:
    """Thresholds of the data-quality rules (the rules: docs/data-format.md, "Problems reported
    on import"; the keys: docs/settings.md)."""

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
    """The ``[tags]`` settings: the tag rules file and how rare tags are reported or merged."""

    rules_file: str = "tags.yaml"  # in the workspace; the shipped defaults when missing
    min_share: float = 0.01  # tags held by fewer customers are reported as rare
    merge_rare: bool = False  # merge rare tags into their parent (or other_name) on analyze
    other_name: str = "其他"


@dataclass
class ClusterSettings:
    """The ``[clusters]`` settings of K-Means: k (0 = chosen by silhouette), its range, sample and
    features.
    """

    k: int = 0  # 0 = choose k by silhouette over k_min..k_max
    k_min: int = 2
    k_max: int = 8
    sample_size: int = 10000  # customers sampled to choose k (silhouette) and fit
    seed: int = 0
    columns: list[str] = field(default_factory=lambda: ["recency_days", "orders", "revenue"])


@dataclass
class StrategySettings:
    """The ``[strategies]`` settings: the workspace's strategy file (shipped defaults when
    missing).
    """

    file: str = "strategies.yaml"  # in the workspace; the shipped defaults when missing


@dataclass
class ForecastSettings:
    """The ``[forecast]`` settings of demand forecasting (docs/forecast.md)."""

    calendar_file: str = (
        "forecast_calendar.yaml"  # in the workspace; the shipped defaults when missing
    )
    horizon_days: int = 60  # days ahead of a daily forecast (weekly: horizon_days // 7 weeks)
    folds: int = 3  # backtest cutoffs (rolling origin)
    top_products: int = 20  # products (and stores) forecast one by one
    uplift_shrink: float = 7.0  # days of baseline the pooled promotion uplift weighs per series


@dataclass
class ImportLimits:
    """What a file to import may declare before it is read (see docs/reliability.md).

    A file over a limit is refused with a clear message before any parser touches it; web
    uploads are also parsed in a child process held to ``parse_memory_mb`` and
    ``parse_seconds``, so a parser that fails anyway cannot stop the server."""

    max_rows: int = 5_000_000  # rows declared by a sheet or stored in a Parquet file
    max_columns: int = 1_000  # columns of any file
    max_cells: int = 50_000_000  # rows x columns declared by an Excel sheet
    max_unpacked_mb: int = 2_048  # an .xlsx unpacked (all its zip members together)
    max_zip_ratio: int = 200  # unpacked / packed size of one zip member (zip bombs)
    max_line_kb: int = 1_024  # one CSV line
    parse_memory_mb: int = 4_096  # address space of the child process parsing an upload
    parse_seconds: int = 600  # time the child process may take
