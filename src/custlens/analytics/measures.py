"""The metric catalogue: every store KPI and per-period customer metric, defined once.

Each :class:`Measure` has an id (the snake_case name in JSON, CSV and ``--metric``), a display
name and a definition (English msgids, Chinese in the message catalogue), a formula, a unit
(count, money, rate, days, ratio), a number format (d3-format, as the charts use it) and the
direction that is good (``up`` or ``down``). ``custlens kpi``, ``custlens compare``, the report
summary, the web KPI cards, the JSON API and the Python functions all read their values from it
(computed by :mod:`custlens.analytics.period_measures`), and ``docs/metrics.md`` is generated
from it (``python -m custlens.analytics.measures_doc``).

A formula combines the period's *components*, aggregates of its analysable orders (paid, not
needs_review, net of returns; see :mod:`custlens.analytics.orders`), sale lines, purchase days
and behaviour events. Formulas are small expression trees (:class:`Col`, :class:`Sub`,
:class:`Div`, defined with :class:`Measure` in :mod:`custlens.analytics.measure_model`), so the
same object builds the Ibis expression and the text the docs print.
A ratio whose denominator is 0 or missing is empty (NULL), never 0 or infinity.

This module imports no Ibis, so ``custlens compare --help`` can list the metrics cheaply.
"""

from __future__ import annotations

from custlens.analytics.measure_model import FORMATS as FORMATS
from custlens.analytics.measure_model import UNITS as UNITS
from custlens.analytics.measure_model import Col, Div, Measure, Sub
from custlens.analytics.measure_model import rate_of as rate_of

# Components: aggregates of one period (and one group of ``by``), English msgids.
COMPONENTS = {
    "gmv": "sum of the analysable order lines' amounts, net of returns",
    "gross_sales": "sum of the period's sale lines (paid, refunded or cancelled) at their own "
    "amount",
    "orders": "distinct analysable orders",
    "items": "sum of the analysable lines' quantities, net of returns",
    "order_value_mean": "mean order value (net)",
    "order_value_var": "sample variance of the order values (net)",
    "buyers": "distinct customers with an analysable order in the period",
    "new_customers": "buyers whose first analysable order ever falls in the period",
    "repeat_buyers": "buyers with purchases on two or more distinct days in the period",
    "campaign_buyers": "buyers with an order carrying a campaign id in the period",
    "campaign_exposed": "exposed customers' responses to the campaigns starting in the period",
    "campaign_participants": "of these, the responses marked participated",
    "campaign_converted": "of these, the responses marked converted",
    "active_at_start": "customers whose last purchase before the period start is at most "
    "churn_days before it",
    "churned": "customers whose silence passed churn_days during the period",
    "visitors": "distinct visitors in the behaviour log (customer, anonymous or session id)",
    "converted": "visitors with a purchase event (pay) in the period",
    "nps_answers": "feedback rows with an NPS answer (0-10) given in the period",
    "nps_points": "100 × (promoters (9-10) − detractors (0-6)) among those answers",
    "ratings": "feedback rows with a rating (1-5) given in the period",
    "satisfied_ratings": "ratings of 4 or 5",
}

MEASURES: tuple[Measure, ...] = (
    Measure(
        "gmv",
        "Net sales (GMV)",
        "Net sales: the analysable order lines' amounts net of returns.",
        Col("gmv"),
        "money",
    ),
    Measure(
        "gross_sales",
        "Gross sales",
        "The period's sale lines at their own amount, refunded and cancelled ones included.",
        Col("gross_sales"),
        "money",
    ),
    Measure(
        "returns",
        "Returns",
        (
            "Net sales minus gross sales (zero or negative); a return counts in the period of "
            "the sale it reverses."
        ),
        Sub(Col("gmv"), Col("gross_sales")),
        "money",
    ),
    Measure(
        "refund_rate",
        "Refund rate",
        "Share of gross sales returned, refunded or cancelled.",
        Div(Sub(Col("gross_sales"), Col("gmv")), Col("gross_sales")),
        "rate",
        good="down",
    ),
    Measure("orders", "Orders", "Distinct analysable orders.", Col("orders"), "count"),
    Measure(
        "buyers",
        "Buying customers",
        "Distinct customers with an analysable order in the period.",
        Col("buyers"),
        "count",
    ),
    Measure(
        "aov",
        "Average order value",
        "Net sales per order.",
        Div(Col("gmv"), Col("orders")),
        "money",
        test="welch",
    ),
    Measure(
        "items",
        "Items sold",
        "Quantity of the analysable lines, net of returns.",
        Col("items"),
        "count",
    ),
    Measure(
        "new_customers",
        "New customers",
        "Buyers whose first analysable order ever falls in the period.",
        Col("new_customers"),
        "count",
    ),
    Measure(
        "returning_customers",
        "Returning customers",
        "Buyers who had bought before the period.",
        Sub(Col("buyers"), Col("new_customers")),
        "count",
    ),
    Measure(
        "new_customer_share",
        "New customer share",
        "Share of the period's buyers who are new customers.",
        Div(Col("new_customers"), Col("buyers")),
        "rate",
        test="proportion",
    ),
    Measure(
        "repurchase_rate",
        "Repurchase rate",
        (
            "Share of the period's buyers who bought on two or more distinct days in it "
            "(two orders on one day are one purchase)."
        ),
        Div(Col("repeat_buyers"), Col("buyers")),
        "rate",
        test="proportion",
    ),
    Measure(
        "campaign_participation_rate",
        "Campaign participation",
        "Share of the period's buyers with an order in a campaign.",
        Div(Col("campaign_buyers"), Col("buyers")),
        "rate",
        test="proportion",
    ),
    Measure(
        "exposed_participation_rate",
        "Participation of exposed customers",
        (
            "Participants over exposed customers of the campaigns starting in the period, "
            "as the campaign analysis counts them."
        ),
        Div(Col("campaign_participants"), Col("campaign_exposed")),
        "rate",
        test="proportion",
        splittable=False,
        source="campaigns",
    ),
    Measure(
        "exposed_conversion_rate",
        "Conversion of exposed customers",
        (
            "Converted over exposed customers of the campaigns starting in the period, "
            "as the campaign analysis counts them."
        ),
        Div(Col("campaign_converted"), Col("campaign_exposed")),
        "rate",
        test="proportion",
        splittable=False,
        source="campaigns",
    ),
    Measure(
        "churn_rate",
        "Churn rate",
        (
            "Customers whose silence passed churn_days during the period, over the customers "
            "active at its start."
        ),
        Div(Col("churned"), Col("active_at_start")),
        "rate",
        good="down",
        test="proportion",
        splittable=False,
    ),
    Measure(
        "visitors",
        "Visitors",
        "Distinct visitors in the behaviour log.",
        Col("visitors"),
        "count",
        splittable=False,
        source="events",
    ),
    Measure(
        "conversion_rate",
        "Conversion rate",
        "Share of the period's visitors with a purchase event.",
        Div(Col("converted"), Col("visitors")),
        "rate",
        test="proportion",
        splittable=False,
        source="events",
    ),
    Measure(
        "nps",
        "Net promoter score (NPS)",
        (
            "Net promoter score of the NPS answers given in the period: 100 × (promoters − "
            "detractors) / answers, from −100 to 100 (custlens satisfaction scores)."
        ),
        Div(Col("nps_points"), Col("nps_answers")),
        "ratio",
        splittable=False,
        source="feedback",
    ),
    Measure(
        "csat",
        "CSAT",
        "Share of the period's ratings (1-5) that are 4 or 5.",
        Div(Col("satisfied_ratings"), Col("ratings")),
        "rate",
        test="proportion",
        splittable=False,
        source="feedback",
    ),
)

MEASURE_IDS: tuple[str, ...] = tuple(m.id for m in MEASURES)
BY_ID: dict[str, Measure] = {m.id: m for m in MEASURES}


def get_measure(measure_id: str) -> Measure:
    """The catalogue entry of ``measure_id``.

    Parameters
    ----------
    measure_id : str
        A catalogue id, e.g. ``"repurchase_rate"``.

    Returns
    -------
    Measure

    Raises
    ------
    UsageError
        Unknown id (the message lists the known ones).

    Examples
    --------
    >>> m = get_measure("repurchase_rate")
    >>> (m.unit, m.good, m.counts, m.fmt)
    ('rate', 'up', ('repeat_buyers', 'buyers'), '.2%')
    >>> m.formula.text()
    'repeat_buyers / buyers'
    """
    from custlens.errors import UsageError

    try:
        return BY_ID[measure_id]
    except KeyError:
        raise UsageError(
            f"unknown metric {measure_id!r}; expected one of {', '.join(MEASURE_IDS)}"
        ) from None


def measure_label(measure_id: str, lang: str = "zh") -> str:
    """Display name of ``measure_id`` in ``lang`` (zh | en).

    Examples
    --------
    >>> measure_label("repurchase_rate", "en"), measure_label("repurchase_rate", "zh")
    ('Repurchase rate', '复购率')
    """
    from custlens.i18n import gettext

    return gettext(get_measure(measure_id).name, lang)
