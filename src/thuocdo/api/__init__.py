"""REST API v1 for integrations (document management, e-office): Django Ninja."""
