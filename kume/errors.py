"""The command line's own error: kept apart from kume.config, which loads pydantic, so that
the CLI can name it without loading the configuration machinery (`kume --help` stays fast)."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem, described for the operator."""
