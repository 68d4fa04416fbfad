"""The requests of bench/web_bench.py: the mix of pages and API calls, the login, the cold pass
right after the server starts and the closed-loop load.

Every request kind has a group whose p95 target comes from the dashboard's latency targets:
``page`` (dashboard pages and the API's customer look-up) p95 < 300 ms, ``search`` (customer
search, page and API) p95 < 100 ms, ``login`` (the POST of the login form; it must never wait
for analytics) p95 < 300 ms.
"""

from __future__ import annotations

import asyncio
import random
import re
import time

ADMIN, PASSWORD = "bench", "bench-pass-1"
TARGETS = {"page": 300, "search": 100, "login": 300}  # p95, ms
# (kind, label, weight in the load, group)
MIX = [
    ("page /", "总览", 2, "page"),
    ("page /customers?filters", "客户列表 (filter)", 2, "page"),
    ("page /customers?q=", "客户搜索 (page)", 3, "search"),
    ("page /customers/{id}", "客户360", 3, "page"),
    ("page /segments", "分群", 1, "page"),
    ("page /funnel", "漏斗", 1, "page"),
    ("page /clv", "CLV", 1, "page"),
    ("page /campaigns", "营销活动", 1, "page"),
    ("page /satisfaction", "满意度", 1, "page"),
    ("api /customers?q=", "API customer search", 3, "search"),
    ("api /customers/{id}", "API customer look-up", 3, "page"),
]
LOGIN_KIND = ("login", "登录 (POST /login)", 0, "login")
KINDS = [LOGIN_KIND, *MIX]
TIMEOUT = 300  # s: a slow request is measured, not given up on


def request_for(kind: str, rng: random.Random, ids: list[str]) -> tuple[str, dict]:
    """The path and query parameters of one request of ``kind``."""
    cid = rng.choice(ids)
    if kind == "page /":
        return "/", {"period": rng.choice(["month", "week", "quarter"])}
    if kind == "page /customers?filters":
        return "/customers", {
            "province": rng.choice(["广东", "浙江", "山东"]),
            "sort": rng.choice(["customer_id", "revenue"]),
            "desc": "true",
            "page": rng.randint(1, 20),
        }
    if kind == "page /customers?q=":
        return "/customers", {"q": rng.choice([cid, cid[:-2], rng.choice("张王李赵刘陈杨")])}
    if kind == "page /customers/{id}":
        return f"/customers/{cid}", {}
    if kind == "api /customers?q=":
        return "/api/v1/customers", {
            "q": rng.choice([cid, cid[:-3], f"{rng.randint(0, 9999):04d}"])
        }
    if kind == "api /customers/{id}":
        return f"/api/v1/customers/{cid}", {}
    return kind.split(" ", 1)[1], {}


async def login(client) -> float:
    """Log ``client`` in; the milliseconds the POST of the form took (the redirect is not
    followed: the page it leads to is measured as that page)."""
    html = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    t = time.perf_counter()
    resp = await client.post(
        "/login",
        data={"username": ADMIN, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    ms = (time.perf_counter() - t) * 1000
    assert resp.status_code in (200, 303), resp.status_code
    return ms


async def api_token(base: str) -> str:
    """A new API token of the bench's admin user."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as c:
        await login(c)
        html = (await c.get("/account")).text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        page = (await c.post("/account/tokens", data={"name": "bench", "csrf_token": csrf})).text
        return re.search(r'id="new-token">([^<]+)<', page).group(1)


async def cold_pass(base: str, ids: list[str]) -> tuple[dict[str, float], str]:
    """Right after the server starts: log in, then each request kind once, in order.

    Returns the milliseconds per kind (``login`` included) and an API token."""
    import httpx

    out = {}
    rng = random.Random(0)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as c:
        out["login"] = await login(c)
        token = None
        for kind, _, _, _ in MIX:
            if kind.startswith("api") and token is None:
                token = await api_token(base)
            path, params = request_for(kind, rng, ids)
            if kind == "page /":
                params = {}  # where a login lands: 总览 of the latest month
            headers = {"Authorization": f"Bearer {token}"} if kind.startswith("api") else {}
            t = time.perf_counter()
            try:
                resp = await c.get(path, params=params, headers=headers)
            except httpx.TimeoutException:  # reported as over the timeout, the pass goes on
                out[kind] = float("inf")
                continue
            out[kind] = (time.perf_counter() - t) * 1000
            assert resp.status_code == 200, (kind, resp.status_code, resp.text[:300])
    return out, token


async def load(base: str, ids: list[str], token: str, clients: int, duration: float) -> list:
    """``clients`` closed-loop clients for ``duration`` seconds: (kind, ms, status) records,
    each client's login included."""
    import httpx

    kinds = [k for k, _, w, _ in MIX for _ in range(w)]
    records: list[tuple[str, float, int]] = []
    stop = time.perf_counter() + duration

    async def worker(n: int) -> None:
        rng = random.Random(n)
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as c:
            records.append(("login", await login(c), 200))
            while time.perf_counter() < stop:
                kind = rng.choice(kinds)
                path, params = request_for(kind, rng, ids)
                headers = {"Authorization": f"Bearer {token}"} if kind.startswith("api") else {}
                t = time.perf_counter()
                try:
                    status = (await c.get(path, params=params, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                records.append((kind, (time.perf_counter() - t) * 1000, status))

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return records


PENDING = (  # ids of the notes a page shows while a model is fitted in the background
    "clv-pending",
    "churn-quality-pending",
    "churn-pending",
    "recommendations-pending",
    "next-purchase-pending",
)


async def settle(base: str, seconds: float, customer_id: str) -> float:
    """Wait (up to ``seconds``) until neither the CLV page nor a 客户360 page says a model is
    being fitted (the warming pass fits CLV and churn last; the first 客户360 view starts the
    recommender's and the next-purchase model's fits): the load then measures the pages, not
    a one-off fit beside them. The seconds waited."""
    import httpx

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as c:
        await login(c)
        while time.perf_counter() - t0 < seconds:
            pages = [(await c.get(p)).text for p in ("/clv", f"/customers/{customer_id}")]
            if not any(f'id="{m}"' in p for p in pages for m in PENDING):
                break
            await asyncio.sleep(5)
    return time.perf_counter() - t0
