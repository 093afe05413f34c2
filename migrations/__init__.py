"""kume's Alembic migrations, installed as the package kume.migrations (see pyproject.toml)."""
