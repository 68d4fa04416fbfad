"""Customer value: metrics, RFM, segments, lifecycle, clustering, strategies, tags."""
