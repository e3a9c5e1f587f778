"""nbval settings for ``pytest --nbval-lax book/``: notebooks run with their defaults, no widgets.

The kernels nbval starts inherit this process's environment, so these variables reach them:
``SDR_PROFILE`` (smoke unless set), ``HF_HUB_OFFLINE=1`` (never download),
``JUPYTER_PREFER_ENV_PATH=1`` (the venv's ``python3`` kernel before any per-user one), and always
``SDR_STATIC=1`` with the inline matplotlib backend (there is no frontend).
"""

import os

from sdrlib.book.display import STATIC_KERNEL_ENV


def pytest_configure(config):
    for key, value in {"SDR_PROFILE": "smoke", "HF_HUB_OFFLINE": "1", "JUPYTER_PREFER_ENV_PATH": "1"}.items():
        os.environ.setdefault(key, value)
    os.environ.update(STATIC_KERNEL_ENV)
