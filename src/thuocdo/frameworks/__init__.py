"""Stored KPI framework versions: validated by the scoring engine, immutable once used."""
