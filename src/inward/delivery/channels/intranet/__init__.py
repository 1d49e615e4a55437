"""The intranet channel."""
