"""The calendar channel."""
