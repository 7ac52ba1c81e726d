"""posthog-setup: add PostHog product analytics to a Python web project, and keep it right."""

__version__ = "0.1.0"
