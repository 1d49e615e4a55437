"""Inward: internal marketing for the people inside a company."""
