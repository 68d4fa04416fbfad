"""下次购买 on 客户360 and ``GET /api/v1/customers/{id}/next-purchase``.

The next-purchase model (BG/NBD and the category repurchase cycles,
:mod:`custlens.analytics.clv.next_purchase`) is fitted once per data version and row scope on
the orders the principal may see: in the background for the page, which says so until it is
ready, or in the request for the API.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from custlens.errors import CustlensError
from custlens.i18n import gettext
from custlens.web.render import lang_of
from custlens.web.routes.common import cached, ctx_of, scope_of

KEY = "next_purchase"


def predict_scope(scope: Any) -> Any:
    """Per-customer next purchase (pandas, indexed by customer_id) on the scope's orders."""
    from custlens.analytics.clv.next_purchase import predict_next_purchase

    return predict_next_purchase(scope.table("orders"))


def _missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA (a customer without a routine category)."""
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _row(table: Any, cid: str) -> dict[str, Any] | None:
    """One customer's row as JSON-ready values; None for a customer without orders."""
    if cid not in table.index:
        return None
    row = table.loc[cid]
    out = {
        k: (None if _missing(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()
    }
    out["next_purchase_date"] = str(out["next_purchase_date"])
    out["as_of"] = table.attrs.get("calibration_end")
    return out


def customer_next_purchase(request: Request, principal: Any, cid: str) -> dict[str, Any]:
    """The customer's next purchase now (the API): the row, or ``error``."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    try:
        table = cached(request, scope, KEY, compute=lambda: predict_scope(scope))
    except CustlensError as exc:
        return {"error": exc.message_in(lang)}
    return {"next_purchase": _row(table, cid)}


def next_purchase_soon(request: Request, principal: Any, cid: str) -> dict[str, Any]:
    """The customer's row if the model is fitted, else ``pending`` while a fit runs in the
    background (started once per data version and scope), or ``error``."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    try:
        table = ctx_of(request).soon(  # the key of customer_next_purchase's cache entry
            (KEY, scope.key, ()),
            lambda: predict_scope(scope_of(request, principal)),  # that thread's own cursor
        )
    except CustlensError as exc:
        return {"error": exc.message_in(lang)}
    except Exception:  # logged by the background thread; the page says so
        return {"error": gettext("The next-purchase model could not be fitted.", lang)}
    if table is None:
        return {"pending": True}
    return {"row": _row(table, cid)}
