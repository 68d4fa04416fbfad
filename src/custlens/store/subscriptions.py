"""Notification subscriptions and the notifications to deliver (tables of migration v18).

A subscription names what to notify and where (a webhook URL and the secret its bodies are
signed with):

* ``enters`` / ``leaves``: a customer's segment, value group (高价值, 潜力, 流失预警, 其他),
  lifecycle stage or rule tag changes into / out of the subscription's codes, as logged in
  ``profile_changes`` by the incremental profile updates;
* ``complaint``: a customer of the VIP segments (default: 高价值) complains (an ingested
  event of type ``complaint`` / ``投诉`` or a feedback row of type ``complaint``);
* ``inactive``: a customer whose CLV is at least ``min_clv`` has not ordered for ``days``.

The notifications are made in SQL, one statement for every subscription at once, inside the
transaction of the change that caused them; a delivery worker
(:mod:`custlens.web.notify`) sends them and records each attempt here.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from custlens.errors import UsageError

TRIGGERS = ("enters", "leaves", "complaint", "inactive")
COMPLAINT_TYPES = ("complaint", "投诉")
_LIST = "CAST(json(s.codes) AS VARCHAR[])"  # a subscription's codes as a list


def add_subscription(
    con: Any,
    name: str,
    trigger: str,
    url: str,
    kind: str | None,
    codes: list[str],
    params: dict[str, Any],
    *,
    owner: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """Store a subscription; returns it with its id and secret (shown once).

    Parameters
    ----------
    con : duckdb connection
        The workspace's connection, open for writing.
    name : str
        A name for people.
    trigger : str
        ``enters``, ``leaves``, ``complaint`` or ``inactive``.
    url : str
        The webhook (``http://`` or ``https://``).
    kind, codes, params
        What :func:`custlens.analytics.value.targets.subscription_target` made of the
        subscription's options.
    owner : str, optional
        Who made it.
    secret : str, optional
        The signing secret (a new random one by default).

    Returns
    -------
    dict
        ``id``, ``name``, ``trigger``, ``kind``, ``codes``, ``params``, ``url``, ``secret``.
    """
    if trigger not in TRIGGERS:
        raise UsageError.of("unknown {kind}: {name}", kind="trigger", name=trigger)
    if not url.startswith(("http://", "https://")):
        raise UsageError.of("the webhook must be an http:// or https:// URL")
    secret = secret or secrets.token_hex(32)
    sid = con.execute("SELECT nextval('subscription_id_seq')").fetchone()[0]
    con.execute(
        "INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?)",
        [sid, name, trigger, kind, json.dumps(codes, ensure_ascii=False),
         json.dumps(params, ensure_ascii=False), url, secret, owner, dt.datetime.now()],
    )  # fmt: skip
    return {"id": int(sid), "name": name, "trigger": trigger, "kind": kind, "codes": codes,
            "params": params, "url": url, "secret": secret}  # fmt: skip


def list_subscriptions(con: Any) -> list[dict[str, Any]]:
    """Every subscription (without its secret), with its pending and dead notifications."""
    rows = con.execute(
        "SELECT s.subscription_id, s.name, s.trigger, s.kind, s.codes, s.params, s.url, "
        "s.owner, s.created_at, count(n.notification_id) FILTER (WHERE n.status = 'pending'), "
        "count(n.notification_id) FILTER (WHERE n.status = 'dead') FROM subscriptions s "
        "LEFT JOIN notifications n USING (subscription_id) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    keys = ("id", "name", "trigger", "kind", "codes", "params", "url", "owner", "created_at",
            "pending", "dead")  # fmt: skip
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for s in out:
        s["codes"], s["params"] = json.loads(s["codes"]), json.loads(s["params"])
        s["created_at"] = s["created_at"].isoformat(sep=" ", timespec="seconds")
    return out


def remove_subscription(con: Any, subscription_id: int) -> bool:
    """Delete a subscription and its undelivered notifications; False when there was none."""
    found = con.execute(
        "SELECT count(*) FROM subscriptions WHERE subscription_id = ?", [subscription_id]
    ).fetchone()[0]
    con.execute(
        "DELETE FROM notifications WHERE subscription_id = ? AND status <> 'delivered'",
        [subscription_id],
    )
    con.execute("DELETE FROM subscriptions WHERE subscription_id = ?", [subscription_id])
    return bool(found)


def _payload(event: str, extra: str) -> str:
    return (
        f"json_object('event', '{event}', 'subscription_id', s.subscription_id, "
        f"'subscription', s.name, 'customer_id', c.customer_id, {extra})::VARCHAR"
    )


def _insert(con: Any, select: str, params: list[Any]) -> int:
    before = con.execute("SELECT count(*) FROM notifications").fetchone()[0]
    con.execute(
        "INSERT INTO notifications (notification_id, subscription_id, customer_id, payload, "
        "cause, created_at, status, attempts, next_attempt_at) "
        f"SELECT nextval('notification_id_seq'), * FROM ({select})",
        params,
    )
    return con.execute("SELECT count(*) FROM notifications").fetchone()[0] - before


def enqueue_changes(con: Any, cause: str, now: dt.datetime) -> int:
    """Notifications for the profile changes logged with ``cause`` that enter or leave a
    subscription's codes. Returns how many were made.

    Parameters
    ----------
    con : duckdb connection
        Open for writing (in the transaction of the changes, or after it).
    cause : str
        The cause the changes were logged with (one ingested batch).
    now : datetime
        Their time of creation (the first attempt is due then).
    """
    inside_to = f"coalesce(list_contains({_LIST}, c.to_code), FALSE)"
    inside_from = f"coalesce(list_contains({_LIST}, c.from_code), FALSE)"
    extra = (
        "'trigger', s.trigger, 'kind', c.kind, 'from', c.from_code, 'to', c.to_code, "
        "'changed_at', strftime(c.changed_at, '%Y-%m-%dT%H:%M:%S'), 'cause', c.cause"
    )
    select = (
        f"SELECT s.subscription_id, c.customer_id, {_payload('profile_change', extra)}, "
        "c.cause, ?, 'pending', 0, ? FROM profile_changes c JOIN subscriptions s "
        "ON s.active AND s.kind = c.kind AND ("
        f"(s.trigger = 'enters' AND {inside_to} AND NOT {inside_from}) OR "
        f"(s.trigger = 'leaves' AND {inside_from} AND NOT {inside_to})) "
        "WHERE c.cause = ? ORDER BY c.changed_at, c.customer_id, s.subscription_id"
    )
    return _insert(con, select, [now, now, cause])


def enqueue_complaints(con: Any, table: str, import_id: int, cause: str, now: dt.datetime) -> int:
    """Notifications for the complaints an import wrote (events of type complaint / 投诉,
    feedback of type complaint) by customers whose segment is in a ``complaint``
    subscription's VIP codes. Returns how many were made."""
    if table == "events":
        source = (
            "SELECT customer_id, event_time AS at FROM events WHERE import_id = ? "
            f"AND lower(event_type) IN ({', '.join('?' * len(COMPLAINT_TYPES))})"
        )
        params: list[Any] = [import_id, *COMPLAINT_TYPES]
    elif table == "feedback":
        source = (
            "SELECT customer_id, feedback_time AS at FROM feedback WHERE import_id = ? "
            "AND feedback_type = 'complaint'"
        )
        params = [import_id]
    else:
        return 0
    extra = "'trigger', 'complaint', 'segment', r.segment_code, 'at', strftime(c.at, '%Y-%m-%dT%H:%M:%S')"
    select = (
        f"SELECT s.subscription_id, c.customer_id, {_payload('complaint', extra)}, ?, ?, "
        f"'pending', 0, ? FROM ({source}) c JOIN rfm_scores r USING (customer_id) "
        "JOIN subscriptions s ON s.active AND s.trigger = 'complaint' "
        f"AND list_contains({_LIST}, r.segment_code) ORDER BY c.at, c.customer_id"
    )
    return _insert(con, select, [cause, now, now, *params])


def enqueue_inactive(con: Any, today: dt.date, now: dt.datetime) -> int:
    """Notifications for customers of CLV at least an ``inactive`` subscription's
    ``min_clv`` whose last order is ``days`` or more before ``today``; once per customer and
    subscription until the customer orders again. Returns how many were made."""
    extra = (
        "'trigger', 'inactive', 'days', d.days, 'clv', c.clv, 'last_order_date', "
        "strftime(c.last_date, '%Y-%m-%d')"
    )
    select = (
        f"SELECT s.subscription_id, c.customer_id, {_payload('inactive', extra)}, "
        "'inactive', ?, 'pending', 0, ? FROM subscriptions s "
        "CROSS JOIN LATERAL (SELECT CAST(json_extract(s.params, '$.days') AS INTEGER) AS days, "
        "CAST(json_extract(s.params, '$.min_clv') AS DOUBLE) AS min_clv) d "
        "JOIN (SELECT o.customer_id, max(o.order_date) AS last_date, any_value(k.clv) AS clv "
        "FROM orders o JOIN customer_scores k USING (customer_id) WHERE k.clv IS NOT NULL "
        "GROUP BY o.customer_id) c ON c.clv >= d.min_clv AND c.last_date <= ? - d.days "
        "WHERE s.active AND s.trigger = 'inactive' AND NOT EXISTS (SELECT 1 FROM "
        "notifications n WHERE n.subscription_id = s.subscription_id AND n.customer_id = "
        "c.customer_id AND n.created_at >= c.last_date) ORDER BY c.customer_id"
    )
    return _insert(con, select, [now, now, today])


def due_notifications(con: Any, now: dt.datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Pending notifications whose next attempt is due, oldest first, with their webhook."""
    rows = con.execute(
        "SELECT n.notification_id, n.payload, n.attempts, s.url, s.secret FROM notifications n "
        "JOIN subscriptions s USING (subscription_id) WHERE n.status = 'pending' "
        "AND n.next_attempt_at <= ? ORDER BY n.next_attempt_at, n.notification_id LIMIT ?",
        [now, limit],
    ).fetchall()
    keys = ("id", "payload", "attempts", "url", "secret")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def record_attempt(
    con: Any,
    notification_id: int,
    error: str | None,
    now: dt.datetime,
    max_attempts: int,
    backoff_seconds: float,
) -> str:
    """Record one delivery attempt: ``delivered`` (no error), ``pending`` again after
    ``backoff_seconds * 2 ** (attempts - 1)``, or ``dead`` after ``max_attempts``. Returns
    the new status."""
    attempts = con.execute(
        "UPDATE notifications SET attempts = attempts + 1 WHERE notification_id = ? "
        "RETURNING attempts",
        [notification_id],
    ).fetchone()[0]
    if error is None:
        status, due = "delivered", None
    elif attempts >= max_attempts:
        status, due = "dead", None
    else:
        status = "pending"
        due = now + dt.timedelta(seconds=backoff_seconds * 2 ** (attempts - 1))
    con.execute(
        "UPDATE notifications SET status = ?, next_attempt_at = ?, last_error = ?, "
        "delivered_at = ? WHERE notification_id = ?",
        [status, due, error, now if error is None else None, notification_id],
    )
    return status


def dead_letters(con: Any, limit: int = 500) -> list[dict[str, Any]]:
    """Notifications given up after their last attempt failed, newest first."""
    rows = con.execute(
        "SELECT n.notification_id, n.subscription_id, s.name, s.url, n.customer_id, "
        "n.attempts, n.last_error, n.created_at, n.payload FROM notifications n "
        "LEFT JOIN subscriptions s USING (subscription_id) WHERE n.status = 'dead' "
        "ORDER BY n.created_at DESC, n.notification_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    keys = ("id", "subscription_id", "subscription", "url", "customer_id", "attempts",
            "last_error", "created_at", "payload")  # fmt: skip
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for d in out:
        d["created_at"] = d["created_at"].isoformat(sep=" ", timespec="seconds")
        d["payload"] = json.loads(d["payload"])
    return out


def retry_dead(con: Any, now: dt.datetime) -> int:
    """Send every dead notification again (attempts start over). Returns how many."""
    return (
        con.execute(
            "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE status = 'dead' RETURNING notification_id",
            [now],
        )
        .fetchall()
        .__len__()
    )
