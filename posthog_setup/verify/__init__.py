"""Verification of an integrated project: static checks, a contract replay and a live check
against the local mock host, the project's own tests, and the report.

Every check runs on loopback only; nothing is sent to PostHog.
"""
