"""Where each part of SDR comes from: found in the paper, inferred, or assumed by this project.

The paper (Chu et al., ICASSP 2025) has no public code, and the material this project could reach
gives its abstract, figure captions and a few numbers. Every item of the reconstruction is marked:

- **F** (found): stated by the paper or by a source quoting it, or read from a public code base;
- **I** (inferred): not stated, but strongly implied (by a caption, by the baseline SDR builds on);
- **A** (assumed): our choice, made configurable, with a default and the switch that changes it.

:data:`ITEMS` is the one list; the book's appendix 'Provenance' renders it, the introduction shows
its summary, and ``tests/test_book_provenance.py`` checks that every object it names exists and
that every switch is a valid ``--set`` override of the SDR run. The working notes these marks
were first collected in ship as ``docs/sdr_spec.md`` (library docstrings cite them as SDR_SPEC).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pandas as pd

from sdrlib.engine.config import run_config_from_dict
from sdrlib.experiments import Profile, grid
from sdrlib.losses import SDRLoss
from sdrlib.models import create_model

MARKS = {"F": "found", "I": "inferred", "A": "assumed"}


@dataclass(frozen=True)
class Item:
    """One row of the provenance table.

    Attributes:
        part: the part of the method or protocol (``"TPA"``, ``"TRFI"``, ...).
        what: the item, in a few words.
        mark: ``"F"``, ``"I"`` or ``"A"`` (see the module docstring).
        basis: what the mark rests on: the paper's words, a caption, a code base, a measurement.
        label: the MyST label of the chapter or section that explains it.
        obj: dotted path of the ``sdrlib`` object that implements it (``""`` for none).
        switch: the ``--set`` override that turns it off or changes it (``""`` for none).
    """

    part: str
    what: str
    mark: str
    basis: str
    label: str
    obj: str = ""
    switch: str = ""


ITEMS: tuple[Item, ...] = (
    # The method.
    Item(
        "claim",
        "CNN temporal models inherit a spatial bias; SDR keeps the temporal features "
        "common to several spatially perturbed views",
        "F",
        "the abstract",
        "chapter-introduction",
        "sdrlib.models.sdr.SDR",
    ),
    Item(
        "TPA",
        "a family of augmentations called TPA, one per branch",
        "F",
        "the paper's names",
        "chapter-tpa",
        "sdrlib.augment.TPA",
        "model.options.K=1",
    ),
    Item(
        "TPA",
        "parameters drawn once per clip, the same spatial map on every frame",
        "I",
        "the name (temporally preserving) and the aim (keep the dynamics)",
        "chapter-tpa",
        "sdrlib.augment.apply_op",
        "model.options.branch_ops=[color_jitter,gaussian_blur,random_erasing,gaussian_noise_per_frame]",
    ),
    Item(
        "TPA",
        "K = 2, 3: two or three of the TPA ops; K = 5 adds Gaussian noise",
        "I",
        "the caption of the paper's Figure 2",
        "chapter-figure2",
        "sdrlib.augment.default_branch_ops",
        "model.options.K=5",
    ),
    Item(
        "TPA",
        "the four default ops: colour jitter, blur, erasing, sharpening",
        "A",
        "the paper names none; sharpening replaced a patch shuffle the FTCN trunk barely sees",
        "sec-trunk-sees",
        "sdrlib.studies.visibility.op_token_changes",
        "model.options.branch_ops=[color_jitter,gaussian_blur,random_erasing,patch_shuffle]",
    ),
    Item(
        "TPA",
        "strength 1 for every op",
        "A",
        "no values published",
        "chapter-tpa",
        "sdrlib.augment.ops",
        "model.options.tpa_strength=0.5",
    ),
    Item(
        "SPB",
        "a branch is a TPA op followed by the trunk; K branches form a feature cluster",
        "I",
        "the names SPB and 'spatially-perturbed feature cluster'",
        "sec-spb",
        "sdrlib.models.sdr.SDR.forward_features",
        "model.options.K=1",
    ),
    Item(
        "SPB",
        "one trunk shared by the K branches, called once on the K views",
        "A",
        "not stated",
        "sec-spb",
        "sdrlib.models.sdr.SDR.forward_features",
        "model.options.separate_trunks=true",
    ),
    Item(
        "SPB",
        "a clean (identity) view beside the K perturbed ones in training",
        "A",
        "not in the paper; the Table 3 row '+ clean view'",
        "chapter-table3",
        "sdrlib.models.sdr.SDRConfig",
        "model.options.clean_view=true",
    ),
    Item(
        "trunk",
        "FTCN's fully temporal I3D-ResNet-50 (spatial kernels of size 1, no res5)",
        "I",
        "FTCN is the paper's main baseline",
        "sec-trunk",
        "sdrlib.models.resnet3d.ResNet3dTrunk",
        "model.options.width_mult=0.25",
    ),
    Item(
        "trunk",
        "FTCN's layout: temporal kernels, max-pools for strides, 14,765,889 parameters",
        "F",
        "FTCN's public code",
        "sec-trunk",
        "sdrlib.models.resnet3d.Bottleneck3d",
    ),
    Item(
        "trunk",
        "tokens: the spatial mean per time step (16 x 1024 for 32 x 224 x 224)",
        "I",
        "FTCN's code",
        "chapter-temporal-transformer",
        "sdrlib.models.temporal_transformer.spatial_tokens",
    ),
    Item(
        "TRFI",
        "an integration 'based on mutual information' that keeps what the clusters share",
        "F",
        "the abstract",
        "sec-trfi",
        "sdrlib.models.trfi.TRFI",
        "model.options.trfi=false",
    ),
    Item(
        "TRFI",
        "a Gaussian posterior per branch and time step, softplus sigma, D = 256",
        "A",
        "after the Multi-View Information Bottleneck",
        "sec-trfi",
        "sdrlib.models.trfi.TRFI.posteriors",
        "model.options.latent_dim=64",
    ),
    Item(
        "TRFI",
        "fusion: mean of the samples z_k in training, of the means mu_k at test",
        "A",
        "not stated",
        "sec-trfi",
        "sdrlib.models.trfi.TRFI.fuse",
        "model.options.fuse_samples=false",
    ),
    Item(
        "TRFI",
        "precision-weighted fusion as an option",
        "A",
        "not stated",
        "sec-trfi",
        "sdrlib.models.trfi.TRFI.fuse",
        "model.options.fusion=precision",
    ),
    Item(
        "losses",
        "three losses: mutual information, contrastive, cross-entropy",
        "F",
        "the paper's summary",
        "chapter-mi",
        "sdrlib.losses.SDRLoss",
    ),
    Item(
        "losses",
        "L_MI: symmetric KL between branch posteriors, mean over pairs",
        "A",
        "after the Multi-View Information Bottleneck",
        "chapter-mi",
        "sdrlib.losses.symmetric_kl_loss",
        "loss.lambda_mi=0",
    ),
    Item(
        "losses",
        "L_MI alternative: a JSD critic that maximises a bound",
        "A",
        "not stated",
        "chapter-mi",
        "sdrlib.losses.CriticMILoss",
        "loss.mi_loss=jsd",
    ),
    Item(
        "losses",
        "L_con: cross-branch InfoNCE on time-pooled latents",
        "A",
        "not stated",
        "chapter-mi",
        "sdrlib.losses.cross_branch_infonce",
        "loss.lambda_con=0",
    ),
    Item(
        "losses",
        "weights: lambda_MI = 0.1 warmed up over 10 % of training, lambda_con = 0.5, temperature 0.1",
        "A",
        "no values published",
        "chapter-mi",
        "sdrlib.losses.LossConfig",
        "loss.mi_warmup=0",
    ),
    Item(
        "head",
        "a temporal transformer on the fused tokens",
        "F",
        "the abstract",
        "chapter-temporal-transformer",
        "sdrlib.models.temporal_transformer.TemporalTransformer",
        "model.options.temporal_transformer=false",
    ),
    Item(
        "head",
        "FTCN's head: one pre-norm block, 64-dimensional heads, MLP 2C, cls token",
        "I",
        "FTCN's code",
        "chapter-temporal-transformer",
        "sdrlib.models.temporal_transformer.TemporalTransformer",
    ),
    Item(
        "inference",
        "TPA off at test: the clean clip through the trunk once, Z = mean of mu_k",
        "A",
        "not stated",
        "sec-trfi",
        "sdrlib.models.sdr.SDR.make_views",
        "model.options.test_time_tpa=true",
    ),
    # The protocol.
    Item(
        "protocol",
        "train on FF++ c23 (four manipulations against the reals), test on Celeb-DF-v2 and DFDC",
        "F",
        "the abstract",
        "chapter-table2",
        "sdrlib.experiments.grid",
    ),
    Item(
        "protocol",
        "video-level AUC: the mean clip probability of each video",
        "I",
        "the FTCN protocol the paper compares with",
        "chapter-training",
        "sdrlib.engine.metrics.video_scores",
    ),
    Item(
        "protocol",
        "checkpoint and threshold chosen on validation videos only",
        "A",
        "not stated; a public benchmark selects on the test set",
        "chapter-training",
        "sdrlib.engine.metrics.choose_threshold",
    ),
    Item(
        "protocol",
        "faces aligned with one similarity transform per clip",
        "F",
        "FTCN's inference code",
        "chapter-data",
        "sdrlib.data.faces.window_transforms",
    ),
    Item(
        "numbers",
        "SDR: 88.5 (Celeb-DF-v2), 76.2 (DFDC), 99.6 (FF++) video AUC",
        "F",
        "the paper's summary and a later comparison table",
        "chapter-table2",
        "sdrlib.experiments.columns.PAPER_TABLE2",
    ),
    Item(
        "numbers",
        "what Table 1, Table 3 and Figure 2 measure (their values are not in the material we could reach)",
        "I",
        "the paper's table and figure captions",
        "chapter-table3",
        "sdrlib.experiments.grid",
    ),
    # This project's additions.
    Item(
        "SynthDF",
        "a synthetic benchmark with the protocol's structure",
        "A",
        "ours: the real data sets are gated",
        "chapter-data",
        "sdrlib.data.synthetic",
        "data.synth.temporal_scale=0",
    ),
    Item(
        "studies",
        "the spatial-dependency diagnostic (appearance_remap as the spatial destruction)",
        "A",
        "ours: the paper measures only AUC",
        "chapter-diagnostic",
        "sdrlib.studies.diagnose.condition_transform",
    ),
    Item(
        "studies",
        "robustness to DeeperForensics perturbations, scaled to the face crop",
        "A",
        "ours: not reported for SDR",
        "chapter-robustness",
        "sdrlib.studies.perturbations",
    ),
)


def resolve(path: str) -> object:
    """Import the object at a dotted ``path`` (a module, or attributes of one).

    Raises:
        ImportError: no prefix of ``path`` is an importable module, or an attribute is missing.
    """
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                raise ImportError(f"{'.'.join(parts[:cut])} has no attribute path {'.'.join(parts[cut:])}")
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"no module in {path!r}")


def check(profile: str = "smoke") -> int:
    """Check every item against the code: import each object, and apply each switch to the SDR run
    of ``profile``'s Table 2 grid (the configuration must validate, and the model and the loss
    must build from it). Returns the number of switches checked.

    Raises:
        ImportError: an object does not exist.
        sdrlib.config.ConfigError: a switch is not a valid override.
    """
    prof = Profile.load(profile)
    spec = next(s for s in grid("table2", prof) if s.model == "sdr")
    base = spec.config(prof, 0).to_dict()
    checked = 0
    for item in ITEMS:
        if item.mark not in MARKS:
            raise ValueError(f"{item.what!r}: mark must be one of {list(MARKS)}, got {item.mark!r}")
        if item.obj:
            resolve(item.obj)
        if item.switch:
            config = run_config_from_dict(base, [item.switch])
            model = create_model(config.model.name, **config.model.options)
            SDRLoss(config.loss, latent_dim=model.cfg.latent_dim)
            checked += 1
    return checked


def table(parts: list[str] | None = None) -> pd.DataFrame:
    """The items of ``parts`` (all when ``None``) as a table for the book: chapter links as MyST
    ``{ref}`` roles, objects and switches as code."""
    rows = []
    for item in ITEMS:
        if parts is not None and item.part not in parts:
            continue
        rows.append(
            {
                "part": item.part,
                "item": item.what,
                "mark": f"[{item.mark}]",
                "basis": item.basis,
                "explained in": f"{{ref}}`{item.label}`",
                "implemented by": f"`{item.obj}`" if item.obj else "",
                "switch": f"`{item.switch}`" if item.switch else "",
            }
        )
    return pd.DataFrame(rows)


def summary() -> pd.DataFrame:
    """Items per part and mark (found, inferred, assumed), in the order of :data:`ITEMS`."""
    frame = pd.DataFrame([{"part": item.part, "mark": MARKS[item.mark]} for item in ITEMS])
    counts = pd.crosstab(frame["part"], frame["mark"]).reindex(columns=list(MARKS.values()), fill_value=0)
    counts = counts.loc[list(dict.fromkeys(frame["part"]))]
    counts.loc["all"] = counts.sum()
    counts.columns.name = None
    return counts.reset_index()
