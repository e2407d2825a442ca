"""The organisation: agencies and their units, people, job positions, assignments, roles."""
