from posthog_setup.cli import entry

entry()
