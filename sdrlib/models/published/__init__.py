"""Published video detectors (FTCN, AltFreezing) as ``sdrlib`` models (SDR_SPEC sections 4-5).

Reading a released checkpoint safely and mapping every key strictly onto ``ftcn`` / ``i3d``
(:mod:`~sdrlib.models.published.keymap`, :mod:`~sdrlib.models.published.convert`), and the
state-dict rules of starting ``sdr`` from ``ftcn`` (:mod:`~sdrlib.models.published.transfer`).
Writing the result as a checkpoint directory (``sdr convert``) and loading ``model.weights`` from
one are the engine's (:mod:`sdrlib.engine.published`), which owns the checkpoint format. Nothing here downloads anything. Book chapter 'your own video';
``docs/published_detectors.md``.
"""

from sdrlib.models.published.convert import (
    ConversionError,
    convert_state_dict,
    read_published,
)
from sdrlib.models.published.keymap import (
    FTCN_TEMPLATE_224,
    PUBLISHED,
    PublishedSpec,
    expected_layout,
    get_spec,
    key_map,
)

__all__ = [
    "FTCN_TEMPLATE_224",
    "PUBLISHED",
    "ConversionError",
    "PublishedSpec",
    "convert_state_dict",
    "expected_layout",
    "get_spec",
    "key_map",
    "read_published",
]
