"""Append-only audit trail: who did what, when, from where, before and after."""
