"""SynthDF: determinism, balance, identity-disjoint splits, temporal artifacts, domain fingerprints."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pytest
from PIL import Image

from sdrlib.cli import main
from sdrlib.config import ConfigError
from sdrlib.data import read_manifest
from sdrlib.data.figures import mean_log_spectrum
from sdrlib.data.synthetic import (
    DOMAINS,
    SYNTHDF_DOMAINS,
    DomainSpec,
    generate_synthdf,
    get_domain,
    holds_dataset,
    parse_per_split,
    render_pair,
    resolve_domains,
    synthdf_params,
)
from sdrlib.data.synthetic.camera import jpeg_like
from sdrlib.data.synthetic.signals import blink_openness, random_walk, smooth_noise

SMALL = dict(n_per_split={"train": 2, "val": 1, "test": 1}, frames=8, size=32, progress=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """All six domains, 2/1/1 pairs per split, 8 x 32 x 32."""
    return generate_synthdf(tmp_path_factory.mktemp("synth") / "tiny", **SMALL)


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tiny, tmp_path):
    again = generate_synthdf(tmp_path / "again", **SMALL)
    assert _files(tiny) == _files(again)


def test_other_seed_gives_other_videos(tmp_path):
    a = render_pair(get_domain("ffpp-df"), "train", 0, frames=4, size=32, seed=0)
    b = render_pair(get_domain("ffpp-df"), "train", 0, frames=4, size=32, seed=1)
    assert not np.array_equal(a.real, b.real)


def test_a_video_does_not_depend_on_what_is_generated_with_it(tmp_path):
    alone = generate_synthdf(tmp_path / "alone", domains=["ffpp-fs"], **SMALL)
    both = generate_synthdf(tmp_path / "both", domains=["ffpp-df", "ffpp-fs"], workers=2, **SMALL)
    for name in ("real-00001.npy", "fake-00001.npy"):
        path = f"ffpp-fs/train/{name}"
        assert (alone / path).read_bytes() == (both / path).read_bytes()


def test_layout_dtype_and_manifest(tiny):
    manifest = read_manifest(tiny)
    assert len(manifest) == len(SYNTHDF_DOMAINS) * 2 * 4
    assert set(manifest["domain"]) == set(SYNTHDF_DOMAINS)
    assert manifest["video_id"].str.startswith("synth/").all()
    clip = np.load(tiny / manifest["path"].iloc[0])
    assert clip.dtype == np.uint8 and clip.shape == (8, 32, 32, 3)
    stored = json.loads((tiny / "dataset.json").read_text())
    assert stored["generator"] == "sdrlib.data.synthetic"
    assert stored["params"]["n_per_split"] == {"train": 2, "val": 1, "test": 1}


def test_labels_are_balanced_per_domain_and_split(tiny):
    counts = read_manifest(tiny).groupby(["domain", "split", "label"]).size().unstack("label")
    assert (counts[0] == counts[1]).all()


def test_splits_share_no_identity(tiny):
    manifest = read_manifest(tiny)
    people = {
        split: set(rows["identity"]) | set(rows["source_identity"]) - {""}
        for split, rows in manifest.groupby("split")
    }
    assert people["train"] and people["val"] and people["test"]
    assert not people["train"] & people["val"]
    assert not people["train"] & people["test"]
    assert not people["val"] & people["test"]


def test_per_split_frames_and_counts(tmp_path):
    root = generate_synthdf(
        tmp_path / "lengths",
        domains=["ffpp-nt"],
        n_per_split={"train": 1, "test": 2},
        frames={"train": 12, "test": 6},
        size=16,
        progress=False,
    )
    manifest = read_manifest(root)
    assert set(manifest["split"]) == {"train", "test"}
    for _, row in manifest.iterrows():
        assert np.load(root / row["path"], mmap_mode="r").shape[0] == row["frames"]
        assert row["frames"] == (12 if row["split"] == "train" else 6)


def _face_motion(clip: np.ndarray) -> float:
    """Mean absolute consecutive-frame difference in the central (face) region."""
    size = clip.shape[1]
    face = clip[:, size // 4 : 3 * size // 4, size // 4 : 3 * size // 4].astype(np.float32)
    return float(np.abs(np.diff(face, axis=0)).mean())


@pytest.mark.parametrize("domain", SYNTHDF_DOMAINS)
def test_fake_faces_change_more_between_frames_than_real_ones(domain):
    spec = get_domain(domain)
    real, fake, control = [], [], []
    for index in range(8):
        pair = render_pair(spec, "test", index, frames=8, size=32)
        real.append(_face_motion(pair.real))
        fake.append(_face_motion(pair.fake))
        control.append(_face_motion(render_pair(spec, "test", index, 8, 32, temporal_scale=0.0).fake))
    assert np.mean(fake) > 1.05 * np.mean(real)
    # The temporal artifacts make the excess: without them the fakes move as little as the reals
    # (a texture attached to the moving face adds a little, blur and noise removal may lower it).
    assert np.mean(fake) > 1.05 * np.mean(control)
    assert np.mean(control) < 1.08 * np.mean(real)


def test_temporal_artifacts_differ_between_domains_in_kind():
    """Each FF++ manipulation leaves its own subset of the temporal kinds, the unseen domains a mix
    the training domains never show (issue 16: a temporal model's transfer must be earned)."""
    kinds = ("jitter", "flicker", "color_flicker", "expression_mismatch", "boundary_flicker")

    def present(name: str) -> frozenset[str]:
        return frozenset(k for k in kinds if getattr(get_domain(name).temporal, k) > 0)

    training = [present(d) for d in ("ffpp-df", "ffpp-f2f", "ffpp-fs", "ffpp-nt")]
    assert len(set(training)) == 4 and all(0 < len(t) < len(kinds) for t in training)
    assert present("celebdf") not in training and present("dfdc") not in training
    assert get_domain("celebdf").temporal.smoothness > 0  # another spectrum: errors drift slowly
    assert all(get_domain(d).temporal.smoothness == 0 for d in SYNTHDF_DOMAINS if d != "celebdf")


def test_smooth_draws_keep_their_variance_and_lose_their_high_frequencies():
    from sdrlib.data.synthetic.scene import sample_swap_draws
    from sdrlib.data.synthetic.swap import smooth_draws

    draws = sample_swap_draws(np.random.default_rng(0), 4000)
    smooth = smooth_draws(draws, 2.0)
    assert smooth_draws(draws, 0.0) is draws
    for white, drift in ((draws.gain, smooth.gain), (draws.pose[0], smooth.pose[0]), (draws.color[:, 1], smooth.color[:, 1])):
        assert np.std(drift) == pytest.approx(np.std(white), rel=0.1)
        # lag-1 autocorrelation: about 0 for white draws, high for drifting ones
        assert abs(np.corrcoef(white[1:], white[:-1])[0, 1]) < 0.1
        assert np.corrcoef(drift[1:], drift[:-1])[0, 1] > 0.8


def test_temporal_scale_zero_keeps_the_same_fake_otherwise():
    spec = get_domain("ffpp-f2f")
    with_t = render_pair(spec, "val", 3, frames=6, size=32)
    without_t = render_pair(spec, "val", 3, frames=6, size=32, temporal_scale=0.0)
    assert np.array_equal(with_t.real, without_t.real)
    assert not np.array_equal(with_t.fake, without_t.fake)
    # Same identities and fingerprint, so the time-averaged fakes stay close.
    gap = np.abs(with_t.fake.astype(float).mean(0) - without_t.fake.astype(float).mean(0)).mean()
    assert gap < 6.0


def _fingerprint(domain: str, index: int, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A fake with and without its spatial artifacts (same everything else), as float arrays."""
    spec = get_domain(domain)
    on = render_pair(spec, "test", index, frames=6, size=size).fake.astype(np.float32)
    off = render_pair(spec, "test", index, frames=6, size=size, spatial_scale=0.0).fake.astype(np.float32)
    return on, off


def _high_freq(clip: np.ndarray) -> float:
    gray = clip.mean(-1)
    return float(
        np.abs(
            4 * gray[:, 1:-1, 1:-1]
            - gray[:, :-2, 1:-1]
            - gray[:, 2:, 1:-1]
            - gray[:, 1:-1, :-2]
            - gray[:, 1:-1, 2:]
        ).mean()
    )


def _spectral_contrast(domain: str) -> np.ndarray:
    """Fake-minus-real mean log spectrum of 8 pairs (zero frequency at the centre)."""
    pairs = [render_pair(get_domain(domain), "test", i, frames=8, size=32) for i in range(8)]
    fake = mean_log_spectrum(np.concatenate([p.fake for p in pairs]))
    return fake - mean_log_spectrum(np.concatenate([p.real for p in pairs]))


def test_face2face_checkerboard_peaks_at_nyquist_in_fakes_only():
    contrast = _spectral_contrast("ffpp-f2f")
    # After fftshift, index (0, 0) is the Nyquist frequency in both axes: a period-2 checkerboard.
    assert contrast[0, 0] > 1.0
    assert np.unravel_index(np.argmax(contrast), contrast.shape) == (0, 0)
    for other in ("ffpp-df", "ffpp-fs", "ffpp-nt"):
        assert _spectral_contrast(other)[0, 0] < 0.5


def test_deepfakes_fingerprint_is_blur_and_a_warm_cast():
    for index in range(3):
        on, off = _fingerprint("ffpp-df", index)
        warmth = (on[..., 0] - on[..., 2]).mean() - (off[..., 0] - off[..., 2]).mean()
        assert warmth > 1.0
        assert _high_freq(on) < 0.95 * _high_freq(off)


def test_faceswap_fingerprint_is_a_brightness_step():
    for index in range(3):
        on, off = _fingerprint("ffpp-fs", index)
        step = np.abs((on - off).mean(axis=(0, 3)))
        assert step.max() > 4.0


def test_neuraltextures_fingerprint_is_a_high_frequency_texture():
    on, off = _fingerprint("ffpp-nt", 0, size=64)
    spectrum = np.abs(np.fft.fft2((on - off).mean(-1), axes=(1, 2))).mean(0)
    freq = np.fft.fftfreq(64)
    radius = np.hypot(freq[:, None], freq[None, :])
    peak = radius.ravel()[np.argmax(spectrum.ravel())]
    assert 0.2 < peak < 0.4


def test_celebdf_fingerprint_smooths_the_face():
    on, off = _fingerprint("celebdf", 0, size=64)
    face = (slice(None), slice(16, 48), slice(16, 48))
    assert _high_freq(on[face]) < 0.9 * _high_freq(off[face])


def test_dfdc_mixes_methods(tmp_path):
    methods = {render_pair(get_domain("dfdc"), "train", i, frames=2, size=16).method for i in range(12)}
    assert len(methods) >= 2
    assert methods <= {m.name for m in get_domain("dfdc").methods}


def test_every_domain_has_a_fingerprint_and_spatial_scale_zero_removes_it():
    for domain in SYNTHDF_DOMAINS:
        on, off = _fingerprint(domain, 1, size=16)
        assert np.abs(on - off).mean() > 0.05, domain


def test_jpeg_like_matches_a_real_jpeg_codec():
    yy, xx = np.mgrid[0:48, 0:48]
    image = np.stack(
        [128 + 60 * np.sin(xx / 7), 100 + 50 * np.cos(yy / 5), 90 + 40 * np.sin((xx + yy) / 9)], -1
    )
    image = image.astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=40, subsampling=0)
    reference = np.asarray(Image.open(buffer), dtype=np.float32)
    ours = jpeg_like(image.transpose(2, 0, 1)[:, None].astype(np.float32), 40)[:, 0].transpose(1, 2, 0)
    assert np.abs(ours - image).mean() > 1.0  # it is lossy ...
    assert np.abs(ours - reference).mean() < 1.0  # ... the way JPEG is


def test_signals_are_smooth_and_bounded():
    rng = np.random.default_rng(0)
    noise = smooth_noise(rng, 200, 64, 4.0)
    assert noise.shape == (200, 64) and abs(noise.std() - 1) < 0.15
    assert (
        np.abs(np.diff(noise, axis=1)).mean()
        < 0.4 * np.abs(np.diff(rng.standard_normal((200, 64)), axis=1)).mean()
    )
    assert (random_walk(rng, 3, 10, 2.0)[:, 0] == 0).all()
    eyes = blink_openness(rng, 500, 0.05)
    assert eyes.min() < 0.2 and eyes.max() <= 1 and np.median(eyes) > 0.95


def test_domain_specs_validate_and_round_trip():
    assert set(DOMAINS) == set(SYNTHDF_DOMAINS) and len(SYNTHDF_DOMAINS) == 6
    with pytest.raises(ValueError, match="unknown SynthDF domain"):
        get_domain("ffpp")
    with pytest.raises(ValueError, match="unique"):
        resolve_domains("ffpp-df,ffpp-df")
    with pytest.raises(ValueError, match="strengths"):
        dataclasses.replace(get_domain("dfdc"), temporal_strength=-1.0)
    from sdrlib.config import from_dict, to_dict

    spec = get_domain("dfdc")
    assert from_dict(DomainSpec, json.loads(json.dumps(to_dict(spec)))) == spec
    with pytest.raises(ConfigError, match="unknown option"):
        from_dict(DomainSpec, {**to_dict(spec), "colour": 1})


def test_parameters_are_checked():
    assert parse_per_split("8", "--n") == 8
    assert parse_per_split("train=4, test=2", "--n") == {"train": 4, "test": 2}
    with pytest.raises(ValueError, match="split=N"):
        parse_per_split("train:4", "--n")
    with pytest.raises(ValueError, match="unknown split"):
        synthdf_params(["dfdc"], {"training": 2}, 8, 32, 0, 1.0, 1.0)
    with pytest.raises(ValueError, match="frames"):
        synthdf_params(["dfdc"], 2, {"train": 8}, 32, 0, 1.0, 1.0)
    with pytest.raises(ValueError, match="size"):
        synthdf_params(["dfdc"], 2, 8, 4, 0, 1.0, 1.0)
    with pytest.raises(ValueError, match="no video"):
        synthdf_params(["dfdc"], 0, 8, 32, 0, 1.0, 1.0)


def test_existing_directories_are_reused_or_protected(tiny, tmp_path):
    mtime = (tiny / "dataset.json").stat().st_mtime_ns
    assert generate_synthdf(tiny, **SMALL) == tiny
    assert (tiny / "dataset.json").stat().st_mtime_ns == mtime
    params = synthdf_params(SYNTHDF_DOMAINS, SMALL["n_per_split"], 8, 32, 0, 1.0, 1.0)
    assert holds_dataset(tiny, params)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate_synthdf(other, domains=["ffpp-df"], **SMALL)
    assert (other / "notes.txt").exists()
    generate_synthdf(other, domains=["ffpp-df"], overwrite=True, **SMALL)
    assert not (other / "notes.txt").exists() and (other / "manifest.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_synth(tmp_path, capsys):
    out = tmp_path / "cli"
    args = [
        "synth",
        "--out",
        str(out),
        "--domains",
        "ffpp-nt,dfdc",
        "--n",
        "1",
        "--frames",
        "4",
        "--size",
        "16",
    ]
    assert main([*args, "--no-progress", "--set", "dfdc.style.jpeg_quality=70"]) == 0
    stored = json.loads((out / "dataset.json").read_text())
    assert stored["params"]["domains"][1]["style"]["jpeg_quality"] == 70
    assert main([*args, "--no-progress", "--set", "dfdc.style.jpeg_quality=70"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main([*args, "--no-progress"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--no-progress", "--overwrite", "--temporal-scale", "0"]) == 0
    assert main([*args, "--set", "nope.x=1"]) == 2
    assert main(["synth", "--out", str(tmp_path / "x"), "--domains", "celebdf", "--n", "two"]) == 2
