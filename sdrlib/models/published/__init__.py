"""Published video detectors (FTCN, AltFreezing) as ``sdrlib`` models (SDR_SPEC sections 4-5).

``sdr convert ftcn-tt|altfreezing FILE --out RUN_DIR`` reads a released checkpoint safely, maps
every key strictly onto ``ftcn`` / ``i3d`` (:mod:`~sdrlib.models.published.keymap`,
:mod:`~sdrlib.models.published.convert`) and writes a checkpoint directory without a threshold;
:mod:`~sdrlib.models.published.transfer` starts ``ftcn`` or ``sdr`` training from such a directory
(``model.weights``). Nothing here downloads anything. Book chapter 'your own video';
``docs/published_detectors.md``.
"""

from sdrlib.models.published.convert import (
    ConversionError,
    convert_checkpoint,
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
    "convert_checkpoint",
    "convert_state_dict",
    "expected_layout",
    "get_spec",
    "key_map",
    "read_published",
]
