"""The demo agency: a deterministic Ban with its units, people and one login per role."""
