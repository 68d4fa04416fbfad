"""Customer lifetime value: data summary, BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma, DCF, validation.

Every duration is in an explicit time unit (D days, W weeks, M months of 30.4375 days), carried
from ``summary_from_orders(..., time_unit=...)`` into the models (``time_unit_``).
"""

from .bgnbd import BetaGeoModel
from .gamma_gamma import GammaGammaModel
from .mbgnbd import ModifiedBetaGeoModel
from .paretonbd import ParetoNBDModel
from .summary import orders_frame, summary_from_orders
from .validation import compare_holdout, tracking_series
from .value import customer_lifetime_value
from .workflow import fit_clv_models, predict_customers, value_by_group, value_by_tier

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "compare_holdout",
    "customer_lifetime_value",
    "fit_clv_models",
    "orders_frame",
    "predict_customers",
    "summary_from_orders",
    "tracking_series",
    "value_by_group",
    "value_by_tier",
]
