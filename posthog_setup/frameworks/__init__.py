"""Framework columns: each framework's analysis and hook-up, one package per framework."""
