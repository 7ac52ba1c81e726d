"""Integration mistakes in a project's PostHog code: the rules that find them, per file."""
