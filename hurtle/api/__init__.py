"""Paste pipelines around Hurtle's OCCI applications (DESIGN.md section 8)."""
