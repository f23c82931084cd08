"""Alembic revisions of the store schema (a package so setuptools ships it; alembic skips this file)."""
