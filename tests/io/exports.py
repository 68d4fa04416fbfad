"""Shop exports shaped like the real ones users bring, generated with a fixed seed.

``invoice_lines``: an English invoice-line export (InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country) with the same product on several
lines of one invoice, cancellation invoices prefixed "C" with negative quantities (one of
them cancelling a very large order twelve minutes later), float customer ids ("17850.0"),
missing customer ids, zero prices and exact duplicate rows, amounts in GBP.

``epoch_orders``: an order export with unix-millisecond timestamps.

``tmall_orders``: a Tmall-like export: headers with trailing spaces, CRLF line ends, no
customer id column (the buyer's nickname identifies the customer), separate paid-time and
refund columns.

Each returns the file's text and a pandas DataFrame of the same rows for independent checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INVOICE_HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("22633", "HAND WARMER UNION JACK", 1.85),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65),
    ("POST", "POSTAGE", 18.00),
    ("23166", "MEDIUM CERAMIC TOP STORAGE JAR", 1.04),
]
BIG = ("23843", "PAPER CRAFT , LITTLE BIRDIE", 2.08)


def invoice_lines(seed: int = 7, invoices: int = 400) -> tuple[str, pd.DataFrame]:
    """The English invoice-line export and its rows (``CustomerID`` as written)."""
    rng = np.random.default_rng(seed)
    customers = [f"{12346 + i}.0" for i in range(60)]
    rows: list[list[object]] = []
    start = pd.Timestamp("2010-12-01 08:26")
    for n in range(invoices):
        invoice = str(536365 + n)
        when = start + pd.Timedelta(minutes=int(n * 917 + rng.integers(0, 600)))
        customer = "" if rng.random() < 0.12 else customers[int(rng.integers(0, len(customers)))]
        country = "United Kingdom" if rng.random() < 0.85 else "France"
        picks = rng.choice(len(PRODUCTS), size=int(rng.integers(1, 6)), replace=False)
        for p in picks:
            code, name, price = PRODUCTS[p]
            if rng.random() < 0.05:
                price = 0.0  # free samples
            rows.append(
                [invoice, code, name, int(rng.integers(1, 13)), when, price, customer, country]
            )
        if rng.random() < 0.15:  # the same product scanned twice: two lines, 1 and 3
            code, name, price = PRODUCTS[int(picks[0])]
            rows.append([invoice, code, name, 1, when, price, customer, country])
            rows.append([invoice, code, name, 3, when, price, customer, country])
    # a very large order cancelled twelve minutes later by its own cancellation invoice
    big_when = start + pd.Timedelta(days=300)
    rows.append(["581483", BIG[0], BIG[1], 80995, big_when, BIG[2], "16446.0", "United Kingdom"])
    rows.append(
        [
            "C581484",
            BIG[0],
            BIG[1],
            -80995,
            big_when + pd.Timedelta(minutes=12),
            BIG[2],
            "16446.0",
            "United Kingdom",
        ]
    )
    frame = pd.DataFrame(rows, columns=INVOICE_HEADER)
    # cancellations: part of earlier lines of customers, a later "C" invoice
    sold = frame[(frame.CustomerID != "") & (frame.Quantity > 0)].sample(30, random_state=seed)
    cancels = sold.copy()
    cancels["InvoiceNo"] = [f"C{590000 + i}" for i in range(len(cancels))]
    cancels["Quantity"] = -np.minimum(cancels.Quantity, rng.integers(1, 4, len(cancels)))
    cancels["InvoiceDate"] = cancels.InvoiceDate + pd.to_timedelta(
        rng.integers(1, 20, len(cancels)), unit="D"
    )
    # returns of products the customer never bought here (bought before the export starts)
    unmatched = pd.DataFrame(
        [
            ["C599001", "22752", "SET 7 BABUSHKA NESTING BOXES", -2, start, 7.65, "12999.0", "UK"],
            ["C599002", "71053", "WHITE METAL LANTERN", -1, start, 3.39, "12998.0", "UK"],
        ],
        columns=INVOICE_HEADER,
    )
    frame = pd.concat([frame, cancels, unmatched], ignore_index=True)
    # exact duplicate rows, as exports repeat them
    dups = frame.sample(12, random_state=seed + 1)
    frame = pd.concat([frame, dups], ignore_index=True)
    frame = frame.sort_values("InvoiceDate", kind="stable").reset_index(drop=True)
    text_frame = frame.assign(
        InvoiceDate=frame.InvoiceDate.map(
            lambda t: f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}"
        ),
        UnitPrice=frame.UnitPrice.map(lambda v: f"{v:.2f}"),
    )
    return text_frame.to_csv(index=False), frame


def epoch_orders(seed: int = 3, n: int = 200) -> tuple[str, pd.DataFrame]:
    """Orders with unix-millisecond timestamps (order_no, user_id, created_ms, total)."""
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2024-03-01").value // 10**6
    frame = pd.DataFrame(
        {
            "order_no": [f"E{100000 + i}" for i in range(n)],
            "user_id": [f"U{int(u)}" for u in rng.integers(1, 40, n)],
            "created_ms": base + np.sort(rng.integers(0, 90 * 86_400_000, n)),
            "total": np.round(rng.uniform(5, 300, n), 2),
        }
    )
    return frame.to_csv(index=False), frame


TMALL_HEADER = [
    "订单编号 ",
    "买家会员名 ",
    "买家实际支付金额 ",
    "订单状态 ",
    "订单创建时间 ",
    "订单付款时间 ",
    "宝贝标题 ",
    "宝贝总数量 ",
    "退款金额 ",
]


def tmall_orders(seed: int = 5, n: int = 150) -> tuple[bytes, pd.DataFrame]:
    """A Tmall-like order export (CRLF, trailing spaces in headers); bytes and rows."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2025-06-01 09:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 60 * 24 * 60, n)), unit="min"
    )
    paid = rng.uniform(19, 899, n).round(2)
    status = rng.choice(["交易成功", "交易成功", "交易成功", "交易关闭", "退款成功"], n)
    refund = np.where(status == "退款成功", paid, 0.0)
    partial = (status == "交易成功") & (rng.random(n) < 0.05)
    refund = np.where(partial, (paid / 2).round(2), refund)
    frame = pd.DataFrame(
        {
            "订单编号": [str(3_900_000_000_000_000 + i * 7919) for i in range(n)],
            "买家会员名": [f"tb_{int(b):04d}" for b in rng.integers(1, 50, n)],
            "买家实际支付金额": paid,
            "订单状态": status,
            "订单创建时间": created,
            "订单付款时间": created + pd.Timedelta(minutes=3),
            "宝贝标题": rng.choice(["婴儿奶粉 900g", "纸尿裤 L码", "湿巾 80抽"], n),
            "宝贝总数量": rng.integers(1, 4, n),
            "退款金额": refund,
        }
    )
    frame["订单付款时间"] = frame["订单付款时间"].where(frame["订单状态"] != "交易关闭")
    out = frame.copy()
    out.columns = TMALL_HEADER
    for col in ("订单创建时间 ", "订单付款时间 "):
        out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    text = out.to_csv(index=False, lineterminator="\r\n", float_format="%.2f")
    return text.encode("utf-8"), frame


def invoice_history(customers: int = 3000, seed: int = 11) -> tuple[str, pd.DataFrame]:
    """Thirteen months (2010-12-01 to 2011-12-31) of invoice lines of ``customers`` customers,
    in the ``invoice_lines`` shape, for the churn and CLV models.

    Customers arrive throughout the period (a third in the first month), buy at rates drawn
    from a gamma distribution (many buy once), busier before Christmas, and leave after any
    purchase with a chance of their own (beta distributed). Some customers' purchases thin out
    before they stop (their rate halves every 40-150 days), and customers who return goods
    (a "C" invoice a few days later) leave more often. Missing customer ids as in the real
    file. Returns the file's text and its rows.
    """
    rng = np.random.default_rng(seed)
    start, days = pd.Timestamp("2010-12-01"), 396
    arrival = np.where(
        rng.random(customers) < 0.33,
        rng.integers(0, 30, customers),
        rng.integers(0, days - 30, customers),
    )
    rate = rng.gamma(0.8, 1 / 30, customers)  # purchases a day
    leave = rng.beta(1.2, 4.0, customers)
    half_life = np.where(rng.random(customers) < 0.35, rng.uniform(40, 150, customers), np.inf)
    returner = rng.random(customers) < 0.12
    visits: list[tuple[int, float, bool]] = []
    for c in range(customers):  # building a fixture: one customer's purchases at a time
        t, p = float(arrival[c]), float(leave[c])
        while t < days:
            returned = bool(returner[c] and rng.random() < 0.35)
            visits.append((c, t, returned))
            p = min(0.95, p + 0.15 * returned)
            if rng.random() < p:
                break
            season = 1.0 + 0.8 * np.exp(-((((t % 365) - 340) / 25) ** 2))
            fade = 0.5 ** ((t - arrival[c]) / half_life[c])
            t += rng.exponential(1.0 / max(rate[c] * season * fade, 1e-4))
    v = pd.DataFrame(visits, columns=["c", "t", "returned"])
    v = v[v.t < days].sort_values("t", kind="stable").reset_index(drop=True)
    when = start + pd.to_timedelta(v.t.to_numpy() * 86400 // 60 * 60, unit="s")
    when = when.normalize() + pd.to_timedelta(rng.integers(8 * 60, 19 * 60, len(v)), unit="min")
    ids = np.array([f"{12346 + c}.0" for c in range(customers)], dtype=object)
    customer = np.where(rng.random(len(v)) < 0.05, "", ids[v.c.to_numpy()])
    lines = rng.integers(1, 5, len(v))
    inv = np.repeat(np.arange(len(v)), lines)
    product = rng.integers(0, len(PRODUCTS), len(inv))
    codes, names, prices = (np.array(col, dtype=object) for col in zip(*PRODUCTS, strict=True))
    frame = pd.DataFrame(
        {
            "InvoiceNo": (536365 + inv).astype(str),
            "StockCode": codes[product],
            "Description": names[product],
            "Quantity": rng.integers(1, 13, len(inv)),
            "InvoiceDate": when[inv],
            "UnitPrice": prices[product].astype(float),
            "CustomerID": customer[inv],
            "Country": np.where(rng.random(len(v)) < 0.9, "United Kingdom", "Germany")[inv],
        }
    )
    first = ~pd.Series(inv).duplicated().to_numpy()
    back = frame[first & v.returned.to_numpy()[inv] & (frame.CustomerID != "").to_numpy()].copy()
    back["InvoiceNo"] = "C" + back.InvoiceNo
    back["Quantity"] = -np.minimum(back.Quantity, rng.integers(1, 4, len(back)))
    back["InvoiceDate"] = back.InvoiceDate + pd.to_timedelta(rng.integers(1, 15, len(back)), "D")
    frame = pd.concat([frame, back[back.InvoiceDate < start + pd.Timedelta(days=days)]])
    frame = frame.sort_values("InvoiceDate", kind="stable").reset_index(drop=True)
    text_frame = frame.assign(
        InvoiceDate=frame.InvoiceDate.dt.strftime("%m/%d/%Y %H:%M"),
        UnitPrice=frame.UnitPrice.map(lambda v: f"{v:.2f}"),
    )
    return text_frame.to_csv(index=False), frame
