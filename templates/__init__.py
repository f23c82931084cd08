"""Jinja2 templates per channel and purpose (shipped as kameng_filer.templates)."""
