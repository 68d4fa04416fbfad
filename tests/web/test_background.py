"""Background fits: once per key, failures kept as the message the pages show, and closing the
app waits for running fits (a fit torn down at process exit aborts the process)."""

from __future__ import annotations

import threading
import time

from custlens.web.background import PENDING, BackgroundFits, FitFailed


def test_close_waits_for_a_running_fit():
    fits, done = BackgroundFits(), threading.Event()

    def slow() -> None:
        time.sleep(0.5)
        done.set()

    assert fits.start("k", slow, str) is PENDING
    assert fits.start("k", slow, str) is PENDING  # running: not started twice
    fits.close()
    assert done.is_set() and fits.state("k") is None
    ran = []
    assert fits.start("other", lambda: ran.append(1), str) is PENDING  # closed: never runs
    time.sleep(0.1)
    assert ran == []


def test_failures_are_kept_and_not_retried():
    fits, calls = BackgroundFits(), []

    def no_data() -> None:
        calls.append(1)
        raise FitFailed("数据不足")

    def broken() -> None:
        raise ValueError("boom")

    fits.start("a", no_data, str)
    fits.start("b", broken, lambda exc: "无法拟合")
    fits.close()
    assert fits.state("a") == "数据不足" and fits.state("b") == "无法拟合"
    assert fits.start("a", no_data, str) == "数据不足" and calls == [1]
