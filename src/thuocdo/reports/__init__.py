"""Forms and reports as PDF and Excel, fed by selectors."""
