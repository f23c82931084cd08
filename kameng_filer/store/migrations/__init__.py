"""Alembic migrations of the store schema (run on ``Store.open``; no alembic.ini needed at run time)."""
