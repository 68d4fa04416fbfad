"""`custlens satisfaction service`: time to resolve complaints, resolution rate by type and the
response rates of surveys and callbacks. Thin over custlens.analytics.satisfaction.service."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    workspace,
)

SERVICE_HEADERS = {
    "complaint_type": "Complaint type",
    "complaints": "Complaints",
    "resolved": "Resolved",
    "resolution_rate": "Resolution rate",
    "timed": "With resolved time",
    "median_days": "Median days to resolve",
    "p90_days": "P90 days to resolve",
    "group": "Group",
    "feedback_type": "Feedback type",
    "sent": "Sent",
    "responded": "Responded",
    "response_rate": "Response rate",
}


class ServiceView(str, Enum):
    """What `custlens satisfaction service --view` shows."""

    resolution = "resolution"
    responses = "responses"


class ResponseBy(str, Enum):
    """What `custlens satisfaction service --view responses --by` groups on."""

    none = "none"
    month = "month"
    quarter = "quarter"


@handle_errors
def service_cmd(
    view: Annotated[
        ServiceView, typer.Option("--view", help="resolution (complaints) or responses")
    ] = ServiceView.resolution,
    by: Annotated[
        ResponseBy, typer.Option("--by", help="Responses by month or quarter of the feedback")
    ] = ResponseBy.none,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Complaint resolution rate and days to resolve (median, 90th percentile) by type, or
    the response rates of surveys and callbacks.

    Days to resolve need the feedback column resolved_time (解决时间). Definitions:
    docs/satisfaction.md.

    Example: custlens satisfaction service --view responses --by quarter --format csv
    """
    from custlens.analytics.satisfaction.service import complaint_resolution, response_rates
    from custlens.cli.satisfaction_view import code_words, plain_rows

    ws = workspace(ws_path, read_only=True)
    eng = engine.value if engine else None
    feedback = ws.table("feedback", eng)
    if view == ServiceView.resolution:
        rows = plain_rows(complaint_resolution(feedback).to_pandas())
        words: tuple[str, ...] = ("complaint_type",)
        title = "Complaint resolution"
    else:
        key = None if by == ResponseBy.none else by.value
        rows = plain_rows(response_rates(feedback, key).to_pandas())
        words = ("feedback_type", "group") if key is None else ("feedback_type",)
        title = "Survey and callback response rates"
    if fmt == Format.table:
        rows = code_words(rows, words, ws.settings.lang)
    emit(rows, fmt, title, settings=ws.settings, labels=SERVICE_HEADERS)


def register(satisfaction_app: typer.Typer) -> None:
    """Add `service` to `custlens satisfaction`."""
    satisfaction_app.command("service")(service_cmd)
