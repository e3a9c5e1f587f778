"""Sphinx extension loaded by ``_config.yml``: marks ``jupyter-book build`` as non-interactive.

When Jupyter Book executes notebooks, their kernels inherit this process's environment;
:data:`~sdrlib.book.display.STATIC_KERNEL_ENV` makes :func:`sdrlib.book.interactive_or_static`
draw figures instead of widgets (whose JavaScript would have to come from a CDN) and keeps
matplotlib's inline backend, so the figures reach the page.
"""

from __future__ import annotations

import os
from typing import Any

from sdrlib.book.display import STATIC_KERNEL_ENV


def setup(app: Any) -> dict[str, Any]:
    os.environ.update(STATIC_KERNEL_ENV)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
