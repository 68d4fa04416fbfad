"""Delivery of scheduled reports beyond the files: a command or a webhook, set by whoever runs
``custlens serve`` or ``custlens schedule run`` (never from the web pages).

``CUSTLENS_REPORT_HOOK``
    A command (split like a shell would, not run through one) called after each successful
    run with the report files' absolute paths as its last arguments, and in its environment
    ``CUSTLENS_SCHEDULE_ID``, ``CUSTLENS_SCHEDULE_NAME`` and ``CUSTLENS_REPORT_PERIOD``. A
    script that mails the files or posts them to an IM group goes here.
``CUSTLENS_REPORT_WEBHOOK``
    A URL that receives a POST with JSON ``{"schedule_id", "schedule", "period", "files"}``
    (absolute paths on the server).

What the hook answered (``command exit 0``, ``webhook 200``, or the error) is stored with the
run and shown on 报表; a failing hook leaves the files and the run in place.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

HOOK_ENV = "CUSTLENS_REPORT_HOOK"
WEBHOOK_ENV = "CUSTLENS_REPORT_WEBHOOK"
TIMEOUT_SECONDS = 120


def deliver(schedule: dict[str, Any], period: str, paths: list[Path]) -> str | None:
    """Hand the files of one run to the configured hooks.

    Parameters
    ----------
    schedule : dict
        The schedule (``id``, ``name``).
    period : str
        The report's period (``a..b``).
    paths : list of Path
        The files written.

    Returns
    -------
    str or None
        What each hook answered, ``; ``-joined; None when no hook is set.
    """
    files = [str(Path(p).resolve()) for p in paths]
    answers = []
    command = os.environ.get(HOOK_ENV, "").strip()
    if command:
        env = {
            **os.environ,
            "CUSTLENS_SCHEDULE_ID": str(schedule["id"]),
            "CUSTLENS_SCHEDULE_NAME": schedule["name"],
            "CUSTLENS_REPORT_PERIOD": period,
        }
        try:
            done = subprocess.run(
                [*shlex.split(command), *files],
                env=env,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
            tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
            answers.append(f"command exit {done.returncode}" + (f": {tail}" if tail else ""))
        except (OSError, subprocess.SubprocessError) as exc:
            answers.append(f"command failed: {exc}")
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if url:
        body = json.dumps(
            {
                "schedule_id": schedule["id"],
                "schedule": schedule["name"],
                "period": period,
                "files": files,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        req = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
                answers.append(f"webhook {resp.status}")
        except Exception as exc:  # any network failure is reported, never raised
            answers.append(f"webhook failed: {exc}")
    return "; ".join(answers) or None
