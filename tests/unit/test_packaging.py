"""What the wheel carries: every package and data file of the checkout, under the names
pyproject.toml gives them. (.ci/wheel-check builds the wheel and runs kume from it; these checks
are the quick ones that need no build.)"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]
# Where each top-level directory of the checkout goes in the installed distribution.
INSTALLED_AS = {
    "kume": "kume",
    "tracker": "tracker",
    "bot": "bot",
    "local_bot_api": "local_bot_api",
    "web": "web",
    "templates": "kume.templates",
    "migrations": "kume.migrations",
}


def _directories(top: str) -> dict[str, Path]:
    """Each directory under `top` by the package name it is installed as."""
    base = ROOT / top
    found = {INSTALLED_AS[top]: base}
    for path in base.rglob("*"):
        if path.is_dir() and "__pycache__" not in path.parts:
            found[".".join([INSTALLED_AS[top], *path.relative_to(base).parts])] = path
    return found


def _checkout_packages() -> dict[str, Path]:
    return {name: path for top in INSTALLED_AS for name, path in _directories(top).items()}


def _source_directory(package: str) -> Path:
    """Where setuptools takes a listed package from: its nearest mapped parent, else the root."""
    mapped = SETUPTOOLS.get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        parent = ".".join(parts[:cut])
        if parent in mapped:
            return ROOT / mapped[parent] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def test_every_directory_of_the_checkout_is_a_listed_package_built_from_it():
    listed = {name: _source_directory(name) for name in SETUPTOOLS["packages"]}
    assert listed == _checkout_packages()


def test_every_data_file_is_package_data():
    """Python files travel with their package; anything else only through package-data."""
    patterns = SETUPTOOLS["package-data"]
    left_out = [
        path.relative_to(ROOT).as_posix()
        for name, directory in _checkout_packages().items()
        for path in directory.iterdir()
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and not any(fnmatch(path.name, pattern) for pattern in patterns.get(name, []))
    ]
    assert left_out == []


def test_a_plain_checkout_runs_without_installing(tmp_path):
    """`python -m kume` from the checkout, with the dependencies importable but kume itself not
    installed (`-S` skips site-packages' .pth files, where the editable install lives)."""
    launcher = (
        "import runpy, sys; "
        f"sys.path[:0] = [{str(ROOT)!r}]; sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        "sys.argv[0] = 'kume'; runpy.run_module('kume', run_name='__main__')"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KUME_DATABASE_URL": f"sqlite:///{tmp_path / 'kume.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", launcher, "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Hazır plan yüklendi: IZKA-KUME-2013-2018" in done.stdout
