"""Freed memory goes back to the operating system when a step ends (glibc's malloc_trim,
read from /proc: the Linux the project runs and is tested on)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import numpy as np
from custlens.memory import release_unused

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6

blocks = [np.ones(8_000) for _ in range(5_000)]  # 5,000 x 64 kB: heap pages, not mmap
pin = np.ones(8_000)  # above them, so the heap cannot simply shrink from its top
del blocks
freed = rss_mb()
release_unused()
print(round(freed), round(rss_mb()))
"""


def test_release_unused_returns_freed_heap_pages():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    before, after = map(int, out.split())
    assert before - after > 250, (before, after)  # ~320 MB were freed but kept
