"""Speed of the SynthDF generator: the tiny profile's data set and a 64-pixel set, and one pair per domain.

Prints the wall-clock and CPU time of ``generate_synthdf`` for the data set of the ``tiny``
profile exactly as ``configs/tiny.yaml`` asks for it (all six domains, the profile's videos per
split, frames and size), then for a larger set (16/8/8 real videos per split and as many fakes,
16 x 64 x 64, the one the pictures in ``docs/figures`` show), then the time to render one
real/fake pair of each domain at a chosen size. With ``--figures DIR`` it also saves the data chapter's three pictures of
the 64-pixel set as PNG files (how ``docs/figures/`` is made).

    .venv/bin/python scripts/bench_synth.py
    .venv/bin/python scripts/bench_synth.py --size 224 --frames 32 --pairs 1
    .venv/bin/python scripts/bench_synth.py --figures docs/figures
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sdrlib.data.synthetic import SYNTHDF_DOMAINS, generate_synthdf, get_domain, render_pair
from sdrlib.engine.profiles import Profile


def _folder_mib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20


def bench_dataset(
    out: Path, n: dict[str, int], frames: int | dict[str, int], size: int, workers: int, seed: int = 0
) -> Path:
    wall, cpu = time.perf_counter(), time.process_time()
    generate_synthdf(out, SYNTHDF_DOMAINS, n, frames, size, seed, progress=False, workers=workers)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    videos = 2 * len(SYNTHDF_DOMAINS) * sum(n.values())
    print(
        f"data set {out.name}: {videos} videos, {n} reals per split and as many fakes, frames {frames}, "
        f"{size} x {size} px ({_folder_mib(out):.1f} MiB), workers={workers}"
    )
    print(f"  wall {wall:.2f} s ({videos / wall:.1f} videos/s), CPU of this process {cpu:.2f} s")
    return out


def bench_pairs(frames: int, size: int, pairs: int) -> None:
    print(f"one real/fake pair of {frames} x {size} x {size}, mean of {pairs}:")
    for name in SYNTHDF_DOMAINS:
        spec = get_domain(name)
        render_pair(spec, "train", 0, frames, size)
        start = time.perf_counter()
        for index in range(pairs):
            render_pair(spec, "train", index, frames, size)
        print(f"  {name:9s} {1000 * (time.perf_counter() - start) / pairs:8.1f} ms")


def save_figures(root: Path, out: Path) -> None:
    from sdrlib.data.figures import plot_artifact_spectra, plot_domain_grid, plot_frame_differences

    out.mkdir(parents=True, exist_ok=True)
    for plot in (plot_domain_grid, plot_frame_differences, plot_artifact_spectra):
        path = out / f"synthdf_{plot.__name__.removeprefix('plot_')}.png"
        # Full colour: a palette would add banding that looks like the artifacts being shown.
        plot(root).savefig(path, dpi=72, pil_kwargs={"optimize": True})
        print(f"saved {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="frame size of the per-pair timing")
    parser.add_argument("--frames", type=int, default=16, help="frames of the per-pair timing")
    parser.add_argument("--pairs", type=int, default=5, help="pairs timed per domain")
    parser.add_argument("--workers", type=int, default=0, help="processes for the data set")
    parser.add_argument("--figures", type=Path, help="save the data chapter's figures here")
    args = parser.parse_args()
    print(f"CPU cores visible: {len(os.sched_getaffinity(0))}")
    synth = Profile.load("tiny").run["data"]["synth"]
    with tempfile.TemporaryDirectory() as tmp:
        bench_dataset(
            Path(tmp) / "tiny-profile",
            synth["n_per_split"],
            synth["frames"],
            synth["size"],
            args.workers,
            synth.get("seed", 0),
        )
        root = bench_dataset(Path(tmp) / "cpu-64px", {"train": 16, "val": 8, "test": 8}, 16, 64, args.workers)
        if args.figures:
            save_figures(root, args.figures)
    bench_pairs(args.frames, args.size, args.pairs)


if __name__ == "__main__":
    main()
