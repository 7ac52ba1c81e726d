"""The revise rules: integration mistakes found per file and across the project."""
