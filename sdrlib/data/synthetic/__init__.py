"""SynthDF: a procedural deepfake-video benchmark that runs on any laptop.

Real videos show a parametric face (identity, smooth head motion, blinks, speech, lighting drift,
moving background, sensor noise). Their fakes paste a second identity's inner face, rendered frame
by frame, into the same video: they carry the *temporal* inconsistencies shared by every
manipulation, plus the *spatial* fingerprint of their domain's method. Six domains stand in for
FF++ (four methods), Celeb-DF-v2 and DFDC; see :mod:`sdrlib.data.synthetic.domains` for their
knobs and ``docs/data_format.md`` for the files written. The book chapter 'SynthDF' shows them.
"""

from sdrlib.data.synthetic.domains import (
    DOMAINS,
    SYNTHDF_DOMAINS,
    DomainSpec,
    Fingerprint,
    SceneStyle,
    TemporalArtifacts,
    get_domain,
    resolve_domains,
)
from sdrlib.data.synthetic.generate import (
    GENERATOR_VERSION,
    generate_synthdf,
    holds_dataset,
    parse_per_split,
    synthdf_params,
)
from sdrlib.data.synthetic.pairs import SynthPair, render_pair

__all__ = [
    "DOMAINS",
    "GENERATOR_VERSION",
    "SYNTHDF_DOMAINS",
    "DomainSpec",
    "Fingerprint",
    "SceneStyle",
    "SynthPair",
    "TemporalArtifacts",
    "generate_synthdf",
    "get_domain",
    "holds_dataset",
    "parse_per_split",
    "render_pair",
    "resolve_domains",
    "synthdf_params",
]
