"""Excel in and out: templates with allowed values, previewed all-or-nothing imports."""
