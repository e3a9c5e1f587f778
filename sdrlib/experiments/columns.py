"""The columns of the paper's tables: which test domain each stands for, and the published numbers.

SDR_SPEC section 3; book chapters 'Table 1' to 'Figure 2'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The table column of each test domain (SynthDF's stand-ins carry the real sets' names).
COLUMN_NAMES = {
    "ffpp-df": "DF",
    "ffpp-f2f": "F2F",
    "ffpp-fs": "FS",
    "ffpp-nt": "NT",
    "celebdf": "CDF",
    "dfdc": "DFDC",
}

#: The paper's reported video-level AUC (%) where the spec gives it (SDR_SPEC section 3).
PAPER_TABLE2 = pd.DataFrame(
    [
        {"method": "LipForensics (CVPR'21)", "CDF": 82.4, "DFDC": 73.5, "FF++": np.nan},
        {"method": "FTCN (ICCV'21)", "CDF": 86.9, "DFDC": 74.0, "FF++": 99.4},
        {"method": "RealForensics (CVPR'22)", "CDF": 86.9, "DFDC": 75.9, "FF++": np.nan},
        {"method": "AltFreezing (CVPR'23)", "CDF": 89.5, "DFDC": np.nan, "FF++": np.nan},
        {"method": "SDR (ICASSP'25)", "CDF": 88.5, "DFDC": 76.2, "FF++": 99.6},
    ]
)

FFPP_AVG = "FF++ (avg)"
CROSS_COLUMNS = [FFPP_AVG, "CDF", "DFDC"]
TABLE1_COLUMNS = ["DF", "F2F", "FS", "NT", "avg"]
_DOMAIN_OF = {name: domain for domain, name in COLUMN_NAMES.items()}


def column_domain(column: str) -> str:
    """The test domain of a table column (``CDF`` -> ``celebdf``); a domain name stands for itself."""
    return _DOMAIN_OF.get(column, column)
