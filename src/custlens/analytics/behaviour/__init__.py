"""Behaviour: sessions, funnels, paths, attribution, cohorts."""
