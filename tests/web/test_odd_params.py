"""Out-of-range parameters are refused with 400/422 and a message in the page's language,
never a server error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custlens.analytics.patterns.periods import parse_period
from custlens.errors import InputError

HUGE = "1" * 40
FAR = "last-9999999999d"
WIDE = {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"}
GETS = [
    ("/customers", {"cluster": HUGE}),
    ("/api/v1/customers", {"cluster": HUGE}),
    ("/customers", {"cluster": "²"}),
    ("/patterns", {"period": FAR}),
    ("/association", {"period": FAR}),
    ("/api/v1/association", {"period": FAR}),
    ("/compare", {"period": FAR}),
    ("/api/v1/compare", {"period": FAR}),
    ("/api/v1/patterns/hour-weekday", {"period": FAR}),
    ("/", WIDE),
    ("/api/v1/kpis", WIDE),
    ("/compare", {"period": "0001-01"}),
    ("/compare", {"period": "2024-01", "against": "0001-01"}),
    ("/api/v1/compare", {"period": "9999-12"}),
    ("/customers", {"period": "0001-01-01..9999-12-31", "category": "x"}),
]


def _is_refusal(resp) -> bool:
    return resp.status_code in (400, 422)


@pytest.mark.parametrize(("path", "params"), GETS)
def test_refused_not_crashed(clients, path, params):
    resp = clients["admin"].get(path, params=params)
    assert _is_refusal(resp), (path, params, resp.status_code, resp.text[:300])


def test_report_with_far_period_refused(clients):
    admin = clients["admin"]
    data = {"period": FAR, "format": "html", "sections": ["overview"], "csrf_token": admin.csrf}
    resp = admin.post("/reports", data=data)
    assert _is_refusal(resp), resp.text[:300]


@pytest.mark.parametrize(
    ("lang", "unreadable", "outside"),
    [("zh", "无法识别的时间段", "超出可用范围"), ("en", "cannot read period", "is outside")],
)
def test_message_in_page_language(clients, lang, unreadable, outside):
    admin = clients["admin"]
    admin.cookies.set("custlens_lang", lang)
    try:
        page = admin.get("/compare", params={"period": FAR})
        api = admin.get("/api/v1/compare", params={"period": "0001-01"})
        kpis = admin.get("/api/v1/kpis", params=WIDE)
    finally:
        admin.cookies.delete("custlens_lang")
    assert _is_refusal(page) and unreadable in page.text
    assert _is_refusal(api) and outside in api.json()["error"]["message"]
    assert _is_refusal(kpis) and outside in kpis.json()["error"]["message"]


@pytest.mark.parametrize(
    "text", [FAR, "last-99999999m", "0001-01", "9999-12-31", "0001-01-01..2024-01-01", "9999"]
)
def test_parse_period_bounds(text):
    with pytest.raises(InputError):
        parse_period(text)


def test_parse_period_in_range_still_works():
    assert str(parse_period("1900-01")) == "1900-01-01..1900-01-31"
    assert parse_period("last-3650d").days == 3650


# ---- property-based: generated parameters on the pages and API never give a server error --
DAYS = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat)
PERIODS = st.one_of(
    st.from_regex(r"last-[0-9]{1,15}[dwm]", fullmatch=True),
    DAYS,
    st.tuples(DAYS, DAYS).map("..".join),
    st.integers(0, 99_999).map(str),
    st.from_regex(r"[0-9]{1,5}-[QqWw]?[0-9]{1,3}", fullmatch=True),
    st.text(max_size=40),
)
NUMBERS = st.one_of(st.integers(-(10**40), 10**40).map(str), st.floats().map(str))
QUERIES = {
    "/": st.fixed_dictionaries(
        {"period": st.just("custom"), "start": DAYS, "end": DAYS, "compare": st.just("yoy")}
    ),
    "/api/v1/kpis": st.fixed_dictionaries(
        {"period": st.just("custom"), "start": DAYS, "end": DAYS}
    ),
    "/patterns": st.fixed_dictionaries({"period": PERIODS}),
    "/association": st.fixed_dictionaries({"period": PERIODS}),
    "/compare": st.fixed_dictionaries({"period": PERIODS, "against": PERIODS}),
    "/api/v1/patterns/hour-weekday": st.fixed_dictionaries({"period": PERIODS}),
    "/customers": st.fixed_dictionaries(
        {},
        optional={
            "cluster": NUMBERS,
            "hour": NUMBERS,
            "weekday": NUMBERS,
            "page": NUMBERS,
            "per_page": NUMBERS,
            "min_revenue": NUMBERS,
            "funnel_step": NUMBERS,
            "path_length": NUMBERS,
            "period": PERIODS,
            "category": st.just("母婴"),
        },
    ),
    "/funnel": st.fixed_dictionaries(
        {"window": st.one_of(NUMBERS.map(lambda n: n + "d"), st.text(max_size=20))}
    ),
}
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("path", list(QUERIES))
def test_generated_parameters_never_crash(clients, path):
    admin = clients["admin"]

    @FUZZ
    @given(params=QUERIES[path])
    def check(params):
        resp = admin.get(path, params=params)
        assert resp.status_code < 500, (path, params, resp.text[:300])

    check()


def test_generated_report_periods_never_crash(clients):
    admin = clients["admin"]

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(period=PERIODS.filter(lambda p: "\x00" not in p))
    def check(period):
        data = {"period": period, "format": "html", "sections": ["overview"]}
        resp = admin.post("/reports", data={**data, "csrf_token": admin.csrf})
        assert resp.status_code < 500, (period, resp.text[:300])

    check()
