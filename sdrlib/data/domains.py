"""How real-benchmark rows are grouped into evaluation domains, and shared reals.

Each manifest row has a ``domain``. SynthDF's domains (``ffpp-df``, ``celebdf``...) each hold their
own reals and fakes, and the real benchmarks follow the same naming, with one twist: FF++ has ONE
set of real videos from which all manipulations were made. Those reals get the *family* domain
``ffpp`` (method ``real``); the fakes get ``ffpp-df``, ``ffpp-f2f``, ``ffpp-fs``, ``ffpp-nt`` and
``ffpp-fsh`` (FaceShifter). The rule, which serves both selecting training domains and computing
per-domain AUC:

    the rows of domain ``F-x`` are those whose domain is ``F-x`` **plus** those whose domain is
    the family ``F`` (the shared reals).

So "train on the four FF++ manipulations vs real" selects ``ffpp-df, ffpp-f2f, ffpp-fs, ffpp-nt``
(their union contains each real once) and the AUC of ``ffpp-nt`` is computed over the NT fakes
and all FF++ reals of the split, as in FF++'s per-manipulation tables. For SynthDF no domain is a
bare family, so the rule changes nothing there. Celeb-DF-v2 (``celebdf``), DFDC (``dfdc``) and
DeepFakeDetection (``dfd``, its own actors as reals) are self-contained domains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

FFPP_FAMILY = "ffpp"
# FF++ folder name under manipulated_sequences -> (domain, short code accepted by --methods).
FFPP_METHODS: dict[str, tuple[str, str]] = {
    "Deepfakes": ("ffpp-df", "df"),
    "Face2Face": ("ffpp-f2f", "f2f"),
    "FaceSwap": ("ffpp-fs", "fs"),
    "NeuralTextures": ("ffpp-nt", "nt"),
    "FaceShifter": ("ffpp-fsh", "fsh"),
}
DFD_DOMAIN = "dfd"
CELEBDF_DOMAIN = "celebdf"
DFDC_DOMAIN = "dfdc"
REAL_METHOD = "real"


def family(domain: str) -> str | None:
    """The family whose real rows domain ``domain`` shares (``ffpp-nt`` -> ``ffpp``), else None."""
    head, sep, _ = domain.partition("-")
    return head if sep and head else None


def expand_domains(selected: Iterable[str]) -> set[str]:
    """The manifest domains that make up ``selected`` domains (each selection plus its family)."""
    out: set[str] = set()
    for domain in selected:
        out.add(domain)
        fam = family(domain)
        if fam is not None:
            out.add(fam)
    return out


def domain_mask(domains: Sequence[str], selected: str | Iterable[str]) -> np.ndarray:
    """Boolean mask of the rows that belong to ``selected`` (one domain or several, with shared reals).

    Args:
        domains: the ``domain`` column of a manifest.
        selected: a domain name or several.

    Returns:
        A bool array, True for rows of the selected domains or of their families.
    """
    wanted = expand_domains([selected] if isinstance(selected, str) else selected)
    return np.fromiter((d in wanted for d in domains), dtype=bool, count=len(domains))
