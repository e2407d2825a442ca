"""Server-rendered pages: thin views that call access helpers, selectors and services."""
