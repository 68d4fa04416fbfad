"""Page rendering: Jinja2 templates (autoescaped), messages in the user's language, the
navigation allowed to the user, number formats and chart embedding with drill-down.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from custlens.charts.change_colours import change_colour
from custlens.charts.theme import themed
from custlens.clock import format_time
from custlens.i18n import gettext, normalise_lang
from custlens.i18n.labels import code_label
from custlens.i18n.numbers import format_change, format_count, format_money, format_pct
from custlens.schema.tables import TABLES
from custlens.store.scoped import restricted
from custlens.web.auth import LOGGED_IN

TEMPLATES = Path(__file__).parent / "templates"
# the import permission of an account without row filters: only such an account can import
# (an upsert could change customers outside its rows), so only it is shown 数据导入
IMPORT_ROWS = "import_rows"

# (path, message id, permission): the navigation, filtered by what the user may do
NAV: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Dashboards",
        [
            ("/", "Overview", "view"),
            ("/dashboards", "My dashboards", "view"),
            ("/customers", "Customer list", "view"),
            ("/patterns", "Purchase patterns", "view"),
            ("/association", "Association", "view"),
            ("/compare", "Period comparison", "view"),
            ("/campaigns", "Campaigns", "view"),
            ("/forecast", "Demand forecast", "view"),
            ("/satisfaction", "Customer satisfaction", "view"),
            ("/quality", "Data quality", "view"),
        ],
    ),
    (
        "Customer value",
        [
            ("/segments", "Segments & RFM", "view"),
            ("/lifecycle", "Lifecycle", "view"),
            ("/tags", "Tags", "view"),
            ("/clusters", "Clusters", "view"),
            ("/clv", "CLV & churn", "view"),
        ],
    ),
    (
        "Behaviour",
        [
            ("/funnel", "Funnel", "view"),
            ("/paths", "Paths", "view"),
            ("/cohort", "Retention & cohorts", "view"),
        ],
    ),
    (
        "Data",
        [
            ("/import", "Data import", IMPORT_ROWS),
            ("/reports", "Reports", "export"),
        ],
    ),
    (
        "Administration",
        [
            ("/admin/users", "Users", "manage_users"),
            ("/admin/audit", "Audit log", "audit"),
            ("/api/v1/docs", "API", "view"),
            ("/account", "My account", LOGGED_IN),
        ],
    ),
]


def make_templates(currency: str = "CNY", timezone: str = "Asia/Shanghai") -> Jinja2Templates:
    """The page templates with the number filters; ``money`` writes amounts in
    ``currency`` (the workspace's ISO 4217 code), ``when`` times in ``timezone`` (aware
    values converted, naive ones taken as wall-clock time there; the global ``timezone``
    names the zone)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters.update(
        money=lambda v, lang="zh": format_money(_num(v), lang, currency),
        count=lambda v, lang="zh": format_count(_num(v), lang),
        pct=lambda v, digits=1: format_pct(_num(v), digits),
        change=lambda v, kind="pct", lang="zh": format_change(_num(v), kind, lang),
        num=_fmt_num,
        when=lambda v: _fmt_when(v, timezone),
        # a stored customer choice (gender, level) as shown in the page's language
        choice=lambda v, column, lang="zh": TABLES["customers"].column(column).display(v, lang),
        # a code of a known code column (segment, stage, status, problem code, audit action)
        # in words; anything else as it is
        code=lambda v, column, lang="zh": code_label(column, v, lang),
    )
    env.globals.update(chart=chart, qs=query_string, timezone=timezone, change_colour=change_colour)
    return templates


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def _fmt_num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (float, decimal.Decimal)):
        return f"{float(v):,.{digits}f}"
    return str(v)


def _fmt_when(v: Any, timezone: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, dt.datetime):
        return format_time(v, timezone, seconds=True, label=False)
    return str(v)


def lang_of(request: Request) -> str:
    """The page language: the language cookie, else the workspace's."""
    cookie = request.state.lang_cookie
    if cookie in ("zh", "en"):
        return cookie
    return normalise_lang(request.app.state.ctx.settings.lang)


def translator(lang: str) -> Any:
    """A ``_(msgid, **kwargs)`` function translating into ``lang``, for templates."""

    def _(msgid: str, **kwargs: object) -> str:
        return gettext(msgid, lang, **kwargs)

    return _


def may(principal: Any, permission: str) -> bool:
    """True when ``principal`` (logged in) may do what a link to ``permission`` offers:
    :data:`IMPORT_ROWS` is the import permission without row filters."""
    if permission == LOGGED_IN:
        return True
    if permission == IMPORT_ROWS:
        return principal.can("import") and not restricted(principal)
    return principal.can(permission)


def nav_for(principal: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The navigation groups and links the principal may open (none when logged out)."""
    if principal is None:
        return []
    out = []
    for group, items in NAV:
        allowed = [(path, label) for path, label, perm in items if may(principal, perm)]
        if allowed:
            out.append((group, allowed))
    return out


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a Jinja template with the page's language, user, CSRF token and flash messages."""
    lang = lang_of(request)
    session = request.state.session
    caller = getattr(request.state, "caller", None)
    principal = caller.principal if caller else None
    flash = []
    if session is not None and session.flash:
        flash, session.flash = session.flash, []
    base = {
        "request": request,
        "lang": lang,
        "_": translator(lang),
        "principal": principal,
        "nav": nav_for(principal),
        "may_import": principal is not None and may(principal, IMPORT_ROWS),
        "csrf": session.csrf if session else "",
        "path": request.url.path,
        "flash": flash,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return request.app.state.templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code
    )


def flash(request: Request, kind: str, message: str) -> None:
    """Queue a message (``kind`` ok or error) for the next page the session shows."""
    session = request.state.session
    if session is not None:
        session.flash.append((kind, message))


_chart_ids = iter(range(1, 10**9))


def chart(spec: dict[str, Any] | None, drill: dict[str, Any] | None = None, height: int = 260):
    """A chart placeholder plus its spec as inert JSON; static/app.js embeds it.

    ``drill`` = {"fields": {query param: datum field}, "fixed": {param: value}} makes each
    mark a link to the customers behind it (/customers?param=value...).
    """
    if not spec:
        return Markup("")
    cid = f"chart{next(_chart_ids)}"
    payload = {"spec": themed(spec, width=620, height=height), "drill": drill}
    data = htmlsafe_json_dumps(payload, dumps=_dumps)
    cls = "chart drillable" if drill else "chart"
    return Markup(
        f'<div class="{cls}" id="{cid}" data-chart="{cid}-spec"></div>'
        f'<script type="application/json" id="{cid}-spec">{data}</script>'
    )


def _dumps(obj: Any, **kw: Any) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False, **kw)


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return str(v)


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """``?a=1&b=2`` from ``params`` with ``changes`` applied (None removes a key)."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v not in (None, "")}
    return "?" + urlencode(clean) if clean else "?"
