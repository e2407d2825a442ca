"""Work plans, tasks and products: the continuous data behind every KPI."""
