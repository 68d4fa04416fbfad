"""Notifications end to end through `custlens serve`: orders posted to the ingestion API move
two customers from 潜力 to 高价值; webhooks receive signed notifications (one after a 500,
one dead-lettered after every attempt failed) and the live feed (SSE) shows the change, a
广东 analyst's feed only the 广东 customer."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import httpx
import pytest
from tests.conftest import demo_workspace, http_receiver, stop_server
from tests.store.test_crash import CUSTLENS, ENV, _free_port, _wait_up
from tests.web.conftest import csrf_of

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.segments import SEGMENT_GROUP
from custlens.analytics.value.targets import subscription_target
from custlens.privacy import users
from custlens.store import subscriptions
from custlens.store.results import latest_run, save_analysis
from custlens.web.notify import SIGNATURE_HEADER, verify
from custlens.web.security import LANG_COOKIE

ATTEMPTS = 3


class Receiver(BaseHTTPRequestHandler):
    """Webhook receiver: /ok answers 200, /flaky 500 to a notification's first attempt,
    /down always 500; every request is kept."""

    calls: ClassVar[list[dict]] = []
    seen: ClassVar[set[tuple[str, str]]] = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        notification = self.headers["x-custlens-notification"]
        self.calls.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        if self.path == "/down" or (self.path == "/flaky" and (
                ("flaky", notification) not in self.seen)):  # fmt: skip
            self.seen.add(("flaky", notification))
            self.send_response(500)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def _stream(url: str, token: str, out: list[dict], stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.stream("GET", f"{url}/api/v1/changes/stream", headers=headers,
                          timeout=60) as r:  # fmt: skip
            for line in r.iter_lines():
                if line.startswith("data: "):
                    out.append(json.loads(line[6:]))
                if stop.is_set():
                    return
    except httpx.HTTPError:
        if not stop.is_set():  # (the server stops at the end of the module)
            raise


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("notify")
    ws, _truth = demo_workspace(root, 400, 11)
    save_analysis(ws, analyze_value(ws, cluster=False))
    run = latest_run(ws)
    potential = [s for s, g in SEGMENT_GROUP.items() if g == "potential"]
    pick = (
        "SELECT r.customer_id FROM rfm_scores r JOIN customers c USING (customer_id) "
        "WHERE r.segment_code IN (?, ?) AND c.province {} '广东' ORDER BY 1 LIMIT 1"
    )
    gd = ws.con.execute(pick.format("="), potential).fetchone()[0]
    other = ws.con.execute(pick.format("<>"), potential).fetchone()[0]
    users.add_user(ws.con, "admin", "admin-pass-1", "admin")
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    users.add_user(ws.con, "gd", "gd-pass-0001", "analyst", "province=广东")
    tokens = {
        "admin": users.create_token(ws.con, "admin", "ops", ("api",))[1],
        "pos": users.create_token(ws.con, "pos", "till", ("ingest",))[1],
        "gd": users.create_token(ws.con, "gd", "feed", ("api",))[1],
    }
    port = _free_port()
    hook = f"http://127.0.0.1:{port}"
    secrets = {}
    for name in ("ok", "flaky", "down"):
        what = subscription_target("enters", kind="segment", target="高价值")
        made = subscriptions.add_subscription(ws.con, name, "enters", f"{hook}/{name}", *what)
        secrets[f"/{name}"] = made["secret"]
    ws.con.execute("CHECKPOINT")
    ws.close()
    Receiver.calls.clear()
    Receiver.seen.clear()
    server_port = _free_port()
    url = f"http://127.0.0.1:{server_port}"
    log = open(root / "serve.log", "w")  # noqa: SIM115 (closed after the server stops)
    with http_receiver(port, Receiver):
        proc = subprocess.Popen(
            [CUSTLENS, "serve", "-w", str(root / "ws"), "--port", str(server_port),
             "--notify-attempts", str(ATTEMPTS), "--notify-backoff", "0.2",
             "--ingest-wait", "120"],
            env=ENV, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            _wait_up(proc, url)
            yield {"url": url, "tokens": tokens, "gd": gd, "other": other,
                   "secrets": secrets, "as_of": run["as_of"],
                   "log": root / "serve.log"}  # fmt: skip
        finally:
            stop_server(proc, 60)
            log.close()


def _wait(check, seconds: float = 30.0):
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if got := check():
            return got
        time.sleep(0.2)
    return check()


def test_segment_change_reaches_webhooks_and_live_feeds(served):
    url, tokens = served["url"], served["tokens"]
    feeds: dict[str, list[dict]] = {"admin": [], "gd": []}
    stop = threading.Event()
    readers = [
        threading.Thread(target=_stream, args=(url, tokens[u], feeds[u], stop), daemon=True)
        for u in feeds
    ]
    for r in readers:
        r.start()
    time.sleep(1.5)  # both streams open before the change
    moved = (served["gd"], served["other"])
    days = [(served["as_of"] - dt.timedelta(days=5 * i)).isoformat() for i in range(12)]
    orders = [
        {"order_id": f"VIP{c}{i}", "customer_id": c, "order_time": f"{days[i]} 10:00:00",
         "quantity": 1, "amount": 20000, "product_name": "礼盒"}
        for c in moved for i in range(12)
    ]  # fmt: skip
    got = httpx.post(f"{url}/api/v1/orders", json=orders, timeout=120,
                     headers={"Authorization": f"Bearer {tokens['pos']}"})  # fmt: skip
    assert got.status_code == 200 and got.json()["applied"], got.text
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    changes = httpx.get(f"{url}/api/v1/changes", headers=admin, timeout=30).json()["changes"]
    now_in = {c["customer_id"]: c["to"] for c in changes if c["kind"] == "segment"}
    assert {now_in.get(c) for c in moved} == {"important_value"}, changes

    def delivered():
        paths = [(c["path"], json.loads(c["body"])["customer_id"]) for c in Receiver.calls]
        return len(paths) >= 8 and paths  # ok 2 + flaky 2x2 + down 2x3 = 12 in the end

    assert _wait(lambda: len(Receiver.calls) >= 12, 60), Receiver.calls
    assert delivered()
    by_path: dict[str, list[dict]] = {}
    for call in Receiver.calls:
        by_path.setdefault(call["path"], []).append(call)
    for path, calls in by_path.items():
        for call in calls:  # every body signed with its subscription's secret
            header = call["headers"][SIGNATURE_HEADER]
            assert verify(served["secrets"][path], call["body"], header)
            assert not verify("wrong-secret", call["body"], header)
            body = json.loads(call["body"])
            assert body["to"] == "important_value" and body["trigger"] == "enters"
    assert sorted(json.loads(c["body"])["customer_id"] for c in by_path["/ok"]) == sorted(moved)
    assert len(by_path["/flaky"]) == 4  # a 500 then a 200, for each customer
    assert len(by_path["/down"]) == 2 * ATTEMPTS
    dead = _wait(lambda: httpx.get(f"{url}/api/v1/notifications/dead", headers=admin,
                                   timeout=30).json()["dead"])  # fmt: skip
    assert sorted(d["customer_id"] for d in dead) == sorted(moved)
    assert {d["subscription"] for d in dead} == {"down"}
    assert all(d["attempts"] == ATTEMPTS and d["last_error"] == "HTTP 500" for d in dead)
    gd_only = {"Authorization": f"Bearer {tokens['gd']}"}
    denied = httpx.get(f"{url}/api/v1/notifications/dead", headers=gd_only, timeout=30)
    assert denied.status_code == 403
    # the live feeds: the admin sees both customers, the 广东 analyst only the 广东 one
    assert _wait(lambda: {f["customer_id"] for f in feeds["admin"]} >= set(moved), 15)
    stop.set()
    assert {f["customer_id"] for f in feeds["gd"]} == {served["gd"]}
    mine = next(f for f in feeds["admin"] if f["kind"] == "segment")
    assert mine["to"] == "important_value" and mine["group"] == "高价值"
    assert "*" in mine["name"]  # masked


def test_admins_manage_subscriptions_through_the_api(served):
    url = served["url"]
    admin = {"Authorization": f"Bearer {served['tokens']['admin']}"}
    spec = {"name": "沉睡大客户", "trigger": "inactive", "url": "https://crm.example.com/h",
            "days": 60, "min_clv": 1000}  # fmt: skip
    made = httpx.post(f"{url}/api/v1/subscriptions", json=spec, headers=admin, timeout=30)
    assert made.status_code == 201, made.text
    assert len(made.json()["secret"]) == 64
    listed = httpx.get(f"{url}/api/v1/subscriptions", headers=admin, timeout=30).json()
    mine = next(s for s in listed["subscriptions"] if s["id"] == made.json()["id"])
    assert mine["params"] == {"days": 60, "min_clv": 1000.0} and "secret" not in mine
    bad = httpx.post(f"{url}/api/v1/subscriptions", json={**spec, "url": "ftp://x"},
                     headers=admin, timeout=30)  # fmt: skip
    assert bad.status_code == 400
    sid = made.json()["id"]
    assert httpx.delete(f"{url}/api/v1/subscriptions/{sid}", headers=admin).status_code == 200
    assert httpx.delete(f"{url}/api/v1/subscriptions/{sid}", headers=admin).status_code == 404
    feed = {"Authorization": f"Bearer {served['tokens']['gd']}"}
    assert httpx.get(f"{url}/api/v1/subscriptions", headers=feed).status_code == 403


def test_overview_carries_the_live_feed(served):
    url = served["url"]
    # a session, as a browser has (a connection a request: no race with the server's
    # keep-alive timeout on a loaded machine)
    with httpx.Client(base_url=url, timeout=120, headers={"connection": "close"}) as browser:
        token = csrf_of(browser)
        form = {"username": "gd", "password": "gd-pass-0001", "csrf_token": token, "next": "/"}
        assert browser.post("/login", data=form).status_code == 303
        page = browser.get("/")
        # 客户360 (after the first test moved them): the change on the timeline, zh and en;
        # the other customer is outside 广东
        mine = browser.get(f"/customers/{served['gd']}", params={"tab": "changes"}).text
        browser.cookies.set(LANG_COOKIE, "en")  # as GET /lang sets it
        mine_en = browser.get(f"/customers/{served['gd']}", params={"tab": "changes"}).text
        theirs = browser.get(f"/customers/{served['other']}", params={"tab": "changes"})
    assert theirs.status_code == 404
    for html, title, names in ((mine, "分群与阶段变化", ("重要价值", "客户分群")),
                               (mine_en, "Segment and stage changes", ("Champions", "segment"))):  # fmt: skip
        assert title in html
        timeline = html[html.index('id="profile-timeline"') :]
        timeline = timeline[: timeline.index("</table>")]
        assert all(n in timeline for n in names), timeline[:2000]
        assert "api:orders " in timeline
    assert page.status_code == 200, page.text[:300]
    assert 'id="live-feed"' in page.text and "实时变化" in page.text
    assert 'data-src="/api/v1/changes/stream"' in page.text
    script = httpx.get(f"{url}/static/live_feed.js", timeout=30)
    assert script.status_code == 200 and "EventSource" in script.text
    assert "innerHTML" not in script.text  # names and codes go in as text
