"""Section builders: each takes a Context and returns a Section (or None when no data)."""
