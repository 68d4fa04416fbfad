"""Synthetic demo world with planted ground truth.

``generate_world(out_dir, n_customers=20_000, seed=42, fmt="csv")`` writes customers, orders,
events, campaigns, campaign_responses and feedback files (Chinese or English headers), plus
``truth.json``, ``truth_customers.parquet`` and ``truth_dirt.parquet`` describing what was planted:
segments with known BG/NBD and Gamma-Gamma parameters, the 奶粉 -> 纸尿裤 association, the 奶粉
repurchase cycle, evening peak hours, 618 / 双11 / 年货节 spikes, funnel conversion per channel
and source, campaign A/B uplift, complaint rates and exactly counted dirty rows.
"""

from custlens.demo.world import generate_world

__all__ = ["generate_world"]
