"""Workspace settings (``custlens.toml``). Built explicitly, never at import time.

``custlens config set KEY VALUE`` changes one value (``currency``, ``quality.amount_tolerance``)
through :func:`update_settings`, which validates the whole file before writing it.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from custlens.errors import InputError
from custlens.i18n import gettext, normalise_lang
from custlens.settings_sections import (
    ClusterSettings,
    ForecastSettings,
    ImportLimits,
    LifecycleSettings,
    MetricsSettings,
    QualitySettings,
    RfmSettings,
    StrategySettings,
    TagSettings,
)

CONFIG_FILE = "custlens.toml"
LOCALES = ("zh_CN", "en")


@dataclass
class Settings:
    """Every setting of a workspace, read from and written to its ``custlens.toml``.

    Built explicitly (``Settings.load(path)``), never at import; the sections (rfm, lifecycle,
    tags, clusters, ...) are dataclasses of their own. docs/settings.md lists every key.
    """

    workspace: Path
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"  # ISO 4217: every amount shown (CLI, reports, web) uses it
    # colour of KPI changes: meaning (green = the KPI's good way) | red_up (红涨绿跌: red = up)
    change_colours: str = "meaning"
    phone_region: str = "CN"  # CN (mainland mobile) | an ISO region such as GB | off
    phone_required: bool = True  # customers files must carry a phone number
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    # where the Parquet mirror Spark reads lives: "" = <workspace>/parquet; a path (relative to
    # the workspace or absolute, e.g. a shared mount every executor sees)
    spark_mirror: str = ""
    max_upload_mb: int = 200
    rejects_keep: int = 20  # rejects files kept per table (older ones are deleted)
    upload_preview_ttl_minutes: float = 60  # an upload not imported is deleted after this
    memory_limit: str = "1GB"  # DuckDB spills to <workspace>/.tmp beyond this
    threads: int = 0  # DuckDB threads (0 = one per core); CUSTLENS_THREADS overrides it
    quality: QualitySettings = field(default_factory=QualitySettings)
    rfm: RfmSettings = field(default_factory=RfmSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    tags: TagSettings = field(default_factory=TagSettings)
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    strategies: StrategySettings = field(default_factory=StrategySettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)
    limits: ImportLimits = field(default_factory=ImportLimits)

    @property
    def lang(self) -> str:
        return "en" if self.locale.startswith("en") else "zh"

    @classmethod
    def load(cls, workspace: Path) -> Settings:
        """Read the settings of the workspace at ``workspace`` (defaults when it has no
        custlens.toml).
        """
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
        """Settings from the parsed TOML ``data``; unknown keys and bad values raise InputError."""
        general = dict(data.get("general", {}))
        spark = data.get("spark", {})
        if "master" in spark:
            general["spark_master"] = spark["master"]
        if "mirror" in spark:
            general["spark_mirror"] = spark["mirror"]
        known = {f.name for f in fields(cls)} - {"workspace", *SECTIONS}
        unknown = set(general) - known
        if unknown:
            raise InputError(f"custlens.toml [general]: unknown keys {sorted(unknown)}")
        sections = {
            name: _section(kind, data.get(name, {}), name) for name, kind in SECTIONS.items()
        }
        settings = cls(workspace=workspace, **sections, **general)
        settings.currency = str(settings.currency).upper()
        if str(settings.phone_region).lower() == "off":
            settings.phone_region = "off"
        else:
            settings.phone_region = str(settings.phone_region).upper()
        check_general(settings)
        return settings

    def to_toml(self) -> str:
        """The settings as the commented ``custlens.toml`` text `custlens init` writes."""
        lines = [
            "# custlens workspace settings",
            "[general]",
            f'locale = "{self.locale}"          # zh_CN | en',
            f'timezone = "{self.timezone}"',
            f'currency = "{self.currency}"         # ISO 4217 code: CNY, GBP, USD, EUR ...',
            f'change_colours = "{self.change_colours}"  # meaning | red_up (红涨绿跌: red = up)',
            f'phone_region = "{self.phone_region}"    # CN | an ISO region such as GB | off',
            f"phone_required = {toml_value(self.phone_required)}",
            f'engine = "{self.engine}"          # duckdb | spark',
            f"max_upload_mb = {self.max_upload_mb}",
            f"rejects_keep = {self.rejects_keep}   # rejects files kept per table",
            f'memory_limit = "{self.memory_limit}"   # DuckDB working memory; spills to disk beyond',
            f"threads = {self.threads}                # DuckDB threads; 0 = one per core",
            "",
            "[spark]",
            f'master = "{self.spark_master}"    # e.g. spark://host:7077 for a cluster',
            f'mirror = "{self.spark_mirror}"    # Parquet mirror path; "" = <workspace>/parquet',
            "",
        ]
        for name in SECTIONS:
            lines.append(f"[{name}]")
            for key, value in asdict(getattr(self, name)).items():
                lines.append(f"{key} = {toml_value(value)}")
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
    "forecast": ForecastSettings,
    "limits": ImportLimits,
}


def _section(kind: type, values: dict[str, Any], name: str) -> Any:
    known = {f.name for f in fields(kind)}
    unknown = set(values) - known
    if unknown:
        raise InputError(f"custlens.toml [{name}]: unknown keys {sorted(unknown)}")
    return kind(**values)


def toml_value(value: Any) -> str:
    """A value as written in custlens.toml: ``true``, ``"GBP"``, ``[30, 90, 180]``, ``0.01``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def check_general(settings: Settings) -> None:
    """Raise InputError (one line, in the settings' language) for an unknown locale, colour
    convention (``change_colours``), currency (ISO 4217, as Babel knows them), time zone
    (IANA) or phone region."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from babel.numbers import list_currencies

    lang = normalise_lang(settings.locale)
    if settings.locale not in LOCALES:
        raise InputError(
            gettext("Unknown locale {value}: use zh_CN or en", lang, value=settings.locale)
        )
    if settings.currency not in list_currencies():
        raise InputError(
            gettext(
                "Unknown currency {value}: use an ISO 4217 code such as CNY, GBP, USD or EUR",
                lang,
                value=settings.currency,
            )
        )
    if settings.change_colours not in ("meaning", "red_up"):
        raise InputError(
            gettext(
                "Unknown change colours {value}: use meaning (green = better) or red_up (red = up)",
                lang,
                value=settings.change_colours,
            )
        )
    if not isinstance(settings.threads, int) or settings.threads < 0:
        raise InputError(
            gettext(
                "Invalid DuckDB thread count {value}: use 0 (one per core) or more",
                lang,
                value=settings.threads,
            )
        )
    try:
        ZoneInfo(str(settings.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            gettext(
                "Unknown time zone {value}: use a name such as Asia/Shanghai or Europe/London",
                lang,
                value=settings.timezone,
            )
        ) from None
    if settings.phone_region not in ("CN", "off"):
        from phonenumbers import SUPPORTED_REGIONS

        if settings.phone_region not in SUPPORTED_REGIONS:
            raise InputError(
                gettext(
                    "Unknown phone region {value}: use CN, off or a region code such as GB",
                    lang,
                    value=settings.phone_region,
                )
            )


def update_settings(workspace: Path, changes: dict[str, str]) -> Settings:
    """Set values of ``<workspace>/custlens.toml`` from text and write the file back.

    Parameters
    ----------
    workspace : Path
        The workspace directory (created when missing; the file too).
    changes : dict[str, str]
        ``{"currency": "GBP", "quality.amount_tolerance": "0.05"}``: a bare key is in
        ``[general]``, a dotted one names its section. Values are text as typed on the
        command line, converted to the key's type (lists: ``30,90,180`` or ``[30, 90]``).

    Returns
    -------
    Settings
        The new settings, validated as a whole before anything is written; every other
        value of the file is kept.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> update_settings(root, {"currency": "gbp", "rfm.recency_bins": "30,60"}).currency
    'GBP'
    >>> Settings.load(root).rfm.recency_bins
    [30, 60]
    """
    root = Path(workspace)
    current = Settings.load(root)
    data = asdict_settings(current)
    for key, text in changes.items():
        section, name, default = _locate(key, current.lang)
        data[section][name] = _parse(text, default, key, current.lang)
    settings = Settings.from_dict(root, data)
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_FILE).write_text(settings.to_toml(), encoding="utf-8")
    return settings


def get_setting(settings: Settings, key: str) -> Any:
    """The value of ``key`` (``currency``, ``quality.amount_tolerance``, ``spark.master``).

    Examples
    --------
    >>> get_setting(Settings(Path(".")), "quality.amount_tolerance")
    0.01
    """
    section, name, _ = _locate(key, settings.lang)
    return asdict_settings(settings)[section][name]


def asdict_settings(settings: Settings) -> dict[str, dict[str, Any]]:
    """The settings as the sections of ``custlens.toml`` (``general``, ``spark``, ...)."""
    general = {
        f.name: getattr(settings, f.name)
        for f in fields(Settings)
        if f.name not in {"workspace", "spark_master", "spark_mirror", *SECTIONS}
    }
    out: dict[str, dict[str, Any]] = {"general": general}
    out["spark"] = {"master": settings.spark_master, "mirror": settings.spark_mirror}
    out.update({name: asdict(getattr(settings, name)) for name in SECTIONS})
    return out


def _locate(key: str, lang: str) -> tuple[str, str, Any]:
    """(section, name, default value) of a dotted key; InputError when there is none."""
    section, _, name = key.rpartition(".")
    section = section or "general"
    defaults = asdict_settings(Settings(Path(".")))
    if section not in defaults or name not in defaults[section]:
        known = [
            k if s == "general" else f"{s}.{k}" for s, values in defaults.items() for k in values
        ]
        raise InputError(
            gettext("Unknown setting {key}; known: {known}", lang, key=key, known=", ".join(known))
        )
    return section, name, defaults[section][name]


def _parse(text: str, default: Any, key: str, lang: str) -> Any:
    """``text`` as a value of the type of ``default`` (bool, int, float, list, str)."""
    try:
        if isinstance(default, bool):
            truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
            return truth[text.strip().lower()]
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            text = text.strip()
            if text.startswith("["):
                return tomllib.loads(f"v = {text}")["v"]
            items = [x.strip() for x in text.split(",") if x.strip()]
            kind = type(default[0]) if default else float
            return [kind(x) if kind is not str else x for x in items]
    except (KeyError, ValueError, tomllib.TOMLDecodeError):
        raise InputError(
            gettext("Invalid value for {key}: {value}", lang, key=key, value=text)
        ) from None
    return text
