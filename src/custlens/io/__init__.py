"""Reading, mapping, validating and importing files; exporting masked data."""
