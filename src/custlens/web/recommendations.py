"""推荐商品 on 客户360 and ``GET /api/v1/customers/{id}/recommendations``.

The recommender is fitted once per data version and row scope (seconds on a shop's data):
in the background for the page, which says so until it is ready, or in the request for the
API. Lists are computed for the one customer asked about.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from custlens.errors import CustlensError
from custlens.i18n import gettext
from custlens.web.render import lang_of
from custlens.web.routes.common import cached, ctx_of, scope_of


def fit_recommender(scope: Any) -> Any:
    """A :class:`ProductRecommender` fitted on the orders ``scope`` may see, popularity within
    the stored RFM segments (else the province)."""
    from custlens.analytics.recommend.interactions import purchase_data, purchase_lines
    from custlens.analytics.recommend.model import ProductRecommender
    from custlens.analytics.recommend.served import customer_groups
    from custlens.analytics.recommend.signals import with_events

    segments = scope.table("rfm_scores")
    has_segments = int(segments.count().to_pyarrow().as_py()) > 0
    groups = customer_groups(scope.table("customers"), segments if has_segments else None)
    data = purchase_data(purchase_lines(scope.table("orders")), groups.to_pandas())
    data = with_events(data, scope.table("events"))  # views and add-to-cart for ALS
    return ProductRecommender().fit(data)


def _model(request: Request, scope: Any) -> Any:
    return cached(request, scope, "recommender", compute=lambda: fit_recommender(scope))


def _items(model: Any, cid: str, lang: str) -> list[dict[str, Any]]:
    from custlens.analytics.recommend.served import recommendations

    if cid not in model.data_.customers:
        return []
    table = recommendations(model, [cid], lang)
    return table.drop(columns=["customer_id"]).to_dict("records")


def customer_recommendations(request: Request, principal: Any, cid: str) -> dict[str, Any]:
    """The customer's list now (the API): ``items`` or ``error``."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    try:
        return {"items": _items(_model(request, scope), cid, lang)}
    except CustlensError as exc:
        return {"items": [], "error": exc.message_in(lang)}


def recommendations_soon(request: Request, principal: Any, cid: str) -> dict[str, Any]:
    """The customer's list if the recommender is fitted, else ``pending`` while a fit runs
    in the background (started once per data version and scope), or ``error``."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    try:
        model = ctx_of(request).soon(  # the key of _model's cache entry
            ("recommender", scope.key, ()),
            lambda: fit_recommender(scope_of(request, principal)),  # that thread's own cursor
        )
    except CustlensError as exc:
        return {"items": [], "error": exc.message_in(lang)}
    except Exception:  # logged by the background thread; the page says so
        return {"items": [], "error": gettext("The recommender could not be fitted.", lang)}
    if model is None:
        return {"pending": True}
    return {"items": _items(model, cid, lang)}
