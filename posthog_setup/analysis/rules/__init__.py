"""The rules: integration mistakes in a project's PostHog code, one record each."""
