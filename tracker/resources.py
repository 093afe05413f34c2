"""Where kume's data directories are on disk: templates/ and migrations/.

Both are top-level directories of the repository. An installed kume (a wheel, or the editable
install `make` uses) carries them as the packages kume.templates and kume.migrations (see
pyproject.toml), found through importlib.resources; code run from a plain checkout without
installing finds them next to tracker/.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKOUT_ROOT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """The directory of kume.<name>: a real directory, as Jinja2 and Alembic read files by path."""
    package = f"kume.{name}"
    try:
        found = resources.files(package)
    except ModuleNotFoundError as exc:
        if exc.name != package:
            raise
        return CHECKOUT_ROOT / name
    if not isinstance(found, Path):
        # A zipped installation: kume is never installed that way (pip unpacks wheels).
        raise RuntimeError(f"{package} is not a directory on disk: {found}")
    return found
