"""Churn propensity: the supervised model, its risk tiers and the notes that explain them."""
