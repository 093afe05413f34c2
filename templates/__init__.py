"""kume's templates, installed as the package kume.templates (see pyproject.toml)."""
