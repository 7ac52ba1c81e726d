"""Framework columns: each folder holds one framework's analysis, hook-up and verification."""
