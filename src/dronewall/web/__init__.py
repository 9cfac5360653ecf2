"""The operator's map app (common operational picture), as a built static bundle.

The sources are in ``web/`` at the repository root (TypeScript, Leaflet, bundled by
esbuild with ``npm run build``); the build output is committed in ``static/`` so an
installed package serves the app with no npm step. The API server mounts
:func:`static_dir` at ``/``.
"""

from __future__ import annotations

from pathlib import Path

STATIC_FILES = ("index.html", "app.js", "app.css", "THIRD_PARTY_LICENSES.txt")


def static_dir() -> Path:
    """Folder of the built web app (``index.html``, ``app.js``, ``app.css``)."""
    return Path(__file__).resolve().parent / "static"


def is_built() -> bool:
    """True if the bundle is present (a source checkout may lack it until built)."""
    d = static_dir()
    return all((d / name).is_file() for name in STATIC_FILES)
