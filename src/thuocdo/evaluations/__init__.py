"""Evaluation periods and their workflow: self-assessment to published, quota-checked ratings."""
