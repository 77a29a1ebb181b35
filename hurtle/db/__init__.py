"""Hurtle's relational storage: engine set-up, models, Alembic migrations."""
