"""The customer listing of the CLI (`custlens customers`): every customer with the segment,
lifecycle stage, cluster and current tags of the latest stored analysis, filtered, masked."""

from __future__ import annotations

import ibis
import pyarrow as pa

from custlens.analytics.value.lifecycle import resolve_stage
from custlens.analytics.value.segments import resolve_segment
from custlens.errors import UsageError
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, MaskingPolicy
from custlens.store.results import stored, tags_as_of
from custlens.store.workspace import Workspace


def list_customers(
    ws: Workspace,
    tags: list[str] | tuple[str, ...] = (),
    segment: str | None = None,
    stage: str | None = None,
    cluster: str | None = None,
    limit: int | None = 100,
    policy: MaskingPolicy = MASKED,
) -> pa.Table:
    """Customers with their segment, stage, cluster and current tags, filtered; masked."""
    people = ws.table("customers", "duckdb").select("customer_id", "name", "phone", "level")
    rfm = stored(ws, "rfm_scores").select(
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "rfm_code",
        "segment",
        "segment_code",
        "value_group",
        "value_group_code",
    )
    ids = (
        people.select(customer_id=people.customer_id.cast("string"))
        .union(rfm.select(customer_id=rfm.customer_id.cast("string")))
        .distinct()
    )
    current = tags_as_of(ws)
    tag_list = current.group_by("customer_id").aggregate(
        tags=current.tag.collect().sort().join(","), tag_weight=current.weight.sum()
    )
    out = ids
    for extra in (
        people,
        rfm,
        stored(ws, "customer_lifecycle").select("customer_id", "stage", "stage_code"),
        stored(ws, "customer_clusters").select("customer_id", "cluster", "cluster_name"),
        tag_list,
    ):
        out = out.left_join(extra, "customer_id").drop("customer_id_right")
    for tag in tags:
        out = out.semi_join(current.filter(current.tag == tag).select("customer_id"), "customer_id")
    if segment:
        code = resolve_segment(segment)
        if code is None:
            raise UsageError(
                f"unknown segment {segment!r} (e.g. 重要价值, 高价值, important_value)"
            )
        out = out.filter((out.segment_code == code) | (out.value_group_code == code))
    if stage:
        code = resolve_stage(stage)
        if code is None:
            raise UsageError(f"unknown lifecycle stage {stage!r} (新客 成长 成熟 衰退 流失)")
        out = out.filter(out.stage_code == code)
    if cluster is not None:
        if str(cluster).isdigit():
            out = out.filter(out.cluster == int(cluster))
        else:
            out = out.filter(out.cluster_name == str(cluster))
    out = out.order_by([ibis.desc(out.monetary), "customer_id"]).drop(
        "segment_code", "value_group_code", "stage_code"
    )
    if limit:
        out = out.limit(limit)
    return mask_table(out.to_pyarrow(), policy)
