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
    recency_bins: list[int] = field(default_factory=lambda: [30, 90, 180])
    frequency_quantiles: int = 5
    monetary_quantiles: int = 5
    split: str = "mean"


@dataclass
class Settings:
    workspace: Path
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    max_upload_mb: int = 200
    memory_limit: str = "1GB"  # DuckDB spills to <workspace>/.tmp beyond this
    quality: QualitySettings = field(default_factory=QualitySettings)
    rfm: RfmSettings = field(default_factory=RfmSettings)

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
        known = {f.name for f in fields(cls)} - {"workspace", "quality", "rfm"}
        unknown = set(general) - known
        if unknown:
            raise InputError(f"custlens.toml [general]: unknown keys {sorted(unknown)}")
        quality = _section(QualitySettings, data.get("quality", {}), "quality")
        rfm = _section(RfmSettings, data.get("rfm", {}), "rfm")
        settings = cls(workspace=workspace, quality=quality, rfm=rfm, **general)
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
        for name, section in (("quality", self.quality), ("rfm", self.rfm)):
            lines.append(f"[{name}]")
            for key, value in asdict(section).items():
                lines.append(f"{key} = {_toml_value(value)}")
            lines.append("")
        return "\n".join(lines)


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
