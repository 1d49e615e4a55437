"""Delivery pages: channels and sending rules for admins, the feed and preferences for
everyone."""
