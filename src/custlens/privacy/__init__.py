"""Masking, roles and permissions, audit trail."""
