"""Readers for plain-text instance formats (pure: no database, no web)."""
