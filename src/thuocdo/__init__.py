"""Thước đo — KPI-based work-performance evaluation for Vietnamese public agencies."""

__version__ = "0.1.0"
