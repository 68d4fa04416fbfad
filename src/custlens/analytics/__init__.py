"""Analytics: Ibis expressions over the canonical tables, engine-agnostic (DuckDB or Spark)."""
