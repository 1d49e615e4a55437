"""The teams channel."""
