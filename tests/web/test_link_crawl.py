"""No dead links: every link of every page, for every user, opens (no 4xx, no 5xx).

Each user (admin, analysts, viewers, with and without row filters) starts at ``/`` and
follows every ``<a href>`` inside the site. A link is visited once per shape: the same path
with the same query parameter names (page 2 and page 3 of a list, another customer's 360)
counts as one. A link the user may not open is a dead link too: the navigation and the pages
show only what the user may do.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from tests.web.conftest import PASSWORDS, ROLES, login

# one representative per family of pages whose paths differ only by an id
_ID_PATHS = (
    (re.compile(r"^/customers/(?!export$)[^/]+$"), "/customers/{cid}"),
    (re.compile(r"^/import/\d+/rejects$"), None),  # each import's own permission: all kept
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str, base: str) -> list[str]:
    """Site-internal links of a page, absolute paths with their query."""
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "data:", "javascript:")):
            continue
        parts = urlsplit(urljoin(base, href))
        if parts.netloc not in ("", "testserver"):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def shape(url: str) -> tuple[str, tuple[str, ...]]:
    """The crawl key of a link: its path (ids folded) and its query parameter names."""
    parts = urlsplit(url)
    path = parts.path
    for pattern, folded in _ID_PATHS:
        if folded and pattern.match(path):
            path = folded
    return path, tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))


def crawl(client, start: str = "/", limit: int = 400) -> tuple[dict[str, int], dict[str, str]]:
    """Status of every link reachable from ``start``, and the page each link was found on."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    found_on: dict[str, str] = {start: "(start)"}
    status: dict[str, int] = {}
    queue = [start]
    while queue and len(status) < limit:
        url = queue.pop(0)
        resp = client.get(url, follow_redirects=True)
        status[url] = resp.status_code
        if "text/html" not in resp.headers.get("content-type", ""):
            continue
        for link in links_of(resp.text, url):
            key = shape(link)
            if key in seen:
                continue
            seen.add(key)
            found_on[link] = url
            queue.append(link)
    return status, found_on


@pytest.fixture(scope="module")
def shared_dashboard(app) -> int:
    """A 仪表板 shared with every role, so the crawl opens its view (its builder for admins),
    its widgets' drill-down links and exports."""
    admin = login(app, "admin")
    spec = {
        "name": "巡检",
        "shared_with": {"roles": ["analyst", "viewer"]},
        "widgets": [
            {"metric": "gmv", "chart": "kpi"},
            {"metric": "orders", "chart": "table", "dimension": "province"},
            {"metric": "buyers", "chart": "table", "dimension": "period"},
            {"metric": "gmv", "chart": "bar", "dimension": "segment"},
        ],
    }
    resp = admin.post("/api/v1/dashboards", json=spec, headers={"X-CSRF-Token": admin.csrf})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


@pytest.mark.parametrize("username", sorted(PASSWORDS))
def test_every_link_opens_for_every_user(app, username, shared_dashboard):
    client = login(app, username)
    status, found_on = crawl(client)
    dead = {url: (code, found_on[url]) for url, code in status.items() if code >= 400}
    assert not dead, f"{username} ({ROLES[username]}): dead links {dead}"
    # the crawl reached the pages of the navigation and beyond, the 仪表板 too
    assert len(status) >= 15, sorted(status)
    assert f"/dashboards/{shared_dashboard}" in status, sorted(status)
    drills = [u for u, page in found_on.items() if page == f"/dashboards/{shared_dashboard}"]
    assert any(u.startswith("/customers?") and "province=" in u for u in drills), drills


def test_navigation_hides_what_the_user_may_not_do(clients):
    nav = re.compile(r'<nav class="side">(.*?)</nav>', re.S)
    for username, client in clients.items():
        html = nav.search(client.get("/").text).group(1)
        links = set(re.findall(r'href="([^"]+)"', html))
        restricted = username in ("gd", "gdv", "st")
        may_import = ROLES[username] in ("admin", "analyst") and not restricted
        assert ("/import" in links) == may_import, (username, links)
        assert ("/admin/users" in links) == (ROLES[username] == "admin"), (username, links)
        assert ("/reports" in links) == (ROLES[username] != "viewer"), (username, links)
