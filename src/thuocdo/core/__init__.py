"""Base pieces every app uses: the user model, errors, text rules, request origin."""
