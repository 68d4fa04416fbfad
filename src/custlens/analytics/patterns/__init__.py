"""Patterns: time patterns, products, repurchase, basket, periods and comparisons, KPIs."""
