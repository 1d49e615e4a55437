"""Inward's own locale formats, found through ``FORMAT_MODULE_PATH = ["inward.formats"]``.

Django's West Frisian format module is empty, so ``fy`` pages fell back to the English
defaults (``0.107``, ``Oct 28, 2026``). ``fy/formats.py`` fills it in the way Frisian is
written in the Netherlands. Languages Django covers fully (``nl``) need nothing here:
Django looks in this package first and falls back to its own module for anything missing.
"""
