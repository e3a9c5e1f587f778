"""What the trunk sees: the token-change tables and figure of docs/tpa_visibility.md.

    python scripts/tpa_visibility.py                     # everything, figure to docs/figures/
    python scripts/tpa_visibility.py --no-trained        # only the untrained trunks (no training)
    python scripts/tpa_visibility.py --clips 4 --draws 2 # quicker

Prints, as Markdown: (1) the relative change of the untrained FTCN trunk's tokens under every
TPA op, at 224 px on three kinds of content (smooth random clips, SynthDF faces, aligned crops of
the shared real videos when ../shared/videos is present) and at the profiles' 64 and 32 px, and of
the trained ``tiny`` ftcn and sdr (their table2 runs, trained into the run cache if missing);
(2) the default-set rule (each default op >= half the median of the set at 224 px) for the old
and the new default set; (3) the token change under each spatial-dependency diagnostic condition
(and the old patch-shuffle condition) for the untrained ftcn and i3d trunks. Sizes: width 0.25,
full depth, 8 frames; seeds fixed, so a rerun prints the same numbers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sdrlib.augment import DEFAULT_OPS, FIFTH_OP, OPS, SPEC_DEFAULT_OPS, apply_op
from sdrlib.data.faces import FacePipelineConfig, extract_face_tracks
from sdrlib.data.video.samples import shared_videos_dir
from sdrlib.engine.checkpoint import load_checkpoint
from sdrlib.engine.runs import ensure_trained
from sdrlib.experiments import Profile, grid
from sdrlib.models import create_model
from sdrlib.studies.diagnose import CONDITIONS, condition_transform
from sdrlib.studies.visibility import (
    op_token_changes,
    plot_token_changes,
    smooth_clips,
    synthdf_clips,
    transform_token_changes,
    visibility_rule,
)

FRAMES = 8
MEASURED_OPS = [op for op in OPS if op not in ("identity", "gaussian_noise_per_frame", "brightness", "contrast", "saturation", "hue")]
FACE_VIDEOS = (
    "ffpp_icpr2020/Deepfakes_519_515.mp4",
    "ffpp_icpr2020/Face2Face_750_743.mp4",
    "ffpp_icpr2020/FaceSwap_634_660.mp4",
    "ffpp_icpr2020/NeuralTextures_004_982.mp4",
    "deepfacelive_split/Albica_Johns_0_left_real.mp4",
    "deepfacelive_split/Albica_Johns_0_right_fake.mp4",
    "deepfacelive_split/Ava_de_Addario_0_left_real.mp4",
    "deepfacelive_split/Ava_de_Addario_0_right_fake.mp4",
)


def face_clips(count: int) -> torch.Tensor | None:
    """Aligned 224 px face crops of the shared videos (8 frames each), or None without them."""
    root = shared_videos_dir()
    if not (root / "manifest.csv").is_file():
        return None
    clips = []
    for name in FACE_VIDEOS[:count]:
        tracks = extract_face_tracks(root / name, FacePipelineConfig(max_frames=2 * FRAMES, clip_len=FRAMES))
        clips.append(torch.from_numpy(np.ascontiguousarray(tracks[0].frames[:FRAMES])))
    return torch.stack(clips).permute(0, 4, 1, 2, 3).float().div(255.0)


def untrained(name: str, size: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model(name, width_mult=0.25, num_frames=FRAMES, input_size=size).eval()


def trained(profile: Profile, model: str) -> tuple[torch.nn.Module, int]:
    spec = next(s for s in grid("table2", profile) if s.model == model)
    config = spec.config(profile, profile.setting("seeds", [0])[0])
    net, meta = load_checkpoint(ensure_trained(config, progress=False))
    return net.eval(), meta.input_size or config.data.synth.size


def markdown(table: pd.DataFrame, digits: int = 1) -> str:
    return table.to_markdown(floatfmt=f".{digits}f")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--no-trained", action="store_true", help="skip the trained tiny models")
    parser.add_argument("--figure", type=Path, default=Path("docs/figures/tpa_visibility.png"))
    args = parser.parse_args()
    torch.set_num_threads(2)

    contents = {
        "224 px, smooth": smooth_clips(args.clips, FRAMES, 224),
        "224 px, SynthDF": synthdf_clips(args.clips, FRAMES, 224),
    }
    faces = face_clips(args.clips)
    if faces is not None:
        contents["224 px, face crops"] = faces
    contents["64 px, SynthDF"] = synthdf_clips(args.clips, FRAMES, 64)
    contents["32 px, SynthDF"] = synthdf_clips(args.clips, FRAMES, 32)

    columns = {}
    for label, clips in contents.items():
        model = untrained("ftcn", clips.shape[-1])
        columns[f"untrained, {label}"] = op_token_changes(model, clips, MEASURED_OPS, draws=args.draws)
    if not args.no_trained:
        tiny = Profile.load("tiny")
        for name in ("ftcn", "sdr"):
            model, size = trained(tiny, name)
            clips = synthdf_clips(args.clips, FRAMES, size)
            columns[f"trained tiny {name}, {size} px"] = op_token_changes(model, clips, MEASURED_OPS, draws=args.draws)
    table = pd.DataFrame(columns)
    print("## Relative change (%) of the FTCN trunk's tokens under each TPA op\n")
    print(markdown(table))

    print("\n## The default-set rule at 224 px (each op >= half the median of the set)\n")
    for name, ops in (("old default (SDR_SPEC)", SPEC_DEFAULT_OPS), ("new default", DEFAULT_OPS)):
        for column in (c for c in table.columns if c.startswith("untrained, 224")):
            rule = visibility_rule(table[column], ops)
            failing = rule.loc[~rule["visible"], "op"].tolist()
            verdict = "all visible" if not failing else f"fails: {', '.join(failing)}"
            print(f"- {name}, {column}: threshold {rule['threshold'].iloc[0]:.2f} %: {verdict}")
    print(f"- the fifth branch ({FIFTH_OP}) at 224 px: " + ", ".join(
        f"{table.loc[FIFTH_OP, c]:.1f} %" for c in table.columns if c.startswith("untrained, 224")))

    print("\n## Relative change (%) of the untrained trunks' tokens under each diagnostic condition\n")
    transforms = {c: condition_transform(c, 0) for c in CONDITIONS if c != "clean"}
    transforms["patch shuffle (old spatial_shuffle)"] = lambda x: apply_op("patch_shuffle", x, 1.0, torch.Generator().manual_seed(0))
    rows = {}
    for trunk in ("ftcn", "i3d"):
        for label in (c for c in contents if c.startswith("224") or c.startswith("32")):
            clips = contents[label]
            rows[f"{trunk}, {label}"] = transform_token_changes(untrained(trunk, clips.shape[-1]), clips, transforms)
    print(markdown(pd.DataFrame(rows)))

    highlight = list(DEFAULT_OPS)
    fig = plot_token_changes(table, "What the FTCN trunk sees of each TPA op", highlight)
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.figure, dpi=130, bbox_inches="tight")
    print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
