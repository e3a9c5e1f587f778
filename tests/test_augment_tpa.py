"""TPA ops (SDR_SPEC 2.1): temporal preservation, per-clip parameters, reproducibility, range, device."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sdrlib.augment import AFFINE_OPS, DEFAULT_OPS, OPS, TPA, apply_op, default_branch_ops, list_ops
from sdrlib.data.normalize import denormalize, normalize

PERTURBING = [name for name in OPS if name != "identity"]
TEMPORALLY_STATIC = [name for name in OPS if name != "gaussian_noise_per_frame"]
SETTINGS = settings(max_examples=6, deadline=None, derandomize=True)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _clip(seed: int, b: int = 2, t: int = 4, h: int = 16, w: int = 16, low: float = 0.0, high: float = 1.0):
    return low + (high - low) * torch.rand(b, 3, t, h, w, generator=_gen(seed))


@pytest.mark.parametrize("name", TEMPORALLY_STATIC)
@SETTINGS
@given(seed=st.integers(0, 2**16), strength=st.floats(0.0, 1.0))
def test_static_clip_stays_static(name, seed, strength):
    frame = _clip(seed, t=1)
    out = apply_op(name, frame.expand(-1, -1, 5, -1, -1).contiguous(), strength, _gen(seed + 1))
    torch.testing.assert_close(out, out[:, :, :1].expand_as(out), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", TEMPORALLY_STATIC)
@SETTINGS
@given(seed=st.integers(0, 2**16))
def test_identical_frames_stay_identical(name, seed):
    x = _clip(seed, t=4)
    x[:, :, 3] = x[:, :, 1]
    out = apply_op(name, x, 1.0, _gen(seed + 1))
    torch.testing.assert_close(out[:, :, 3], out[:, :, 1], rtol=0, atol=1e-6)


def test_per_frame_noise_is_not_static():
    frame = _clip(0, t=1, low=0.3, high=0.7)
    out = apply_op("gaussian_noise_per_frame", frame.expand(-1, -1, 3, -1, -1).contiguous(), 1.0, _gen(1))
    assert not torch.allclose(out[:, :, 0], out[:, :, 1])


@pytest.mark.parametrize("name", AFFINE_OPS)
@SETTINGS
@given(seed=st.integers(0, 2**16))
def test_frame_differences_transform_linearly(name, seed):
    """Affine ops: diff(op(X)) = L diff(X) with L drawn per clip, independent of the content.

    So adding a static pattern to every frame (which leaves the frame differences alone) must
    leave the perturbed frame differences alone too, for the same random parameters. Values stay
    in [0.3, 0.7] and strength 0.5 so that the final clamp never cuts.
    """
    x = _clip(seed, low=0.35, high=0.6)
    static = 0.05 * (2 * _clip(seed + 7, t=1) - 1)
    out_x = apply_op(name, x, 0.5, _gen(seed + 1))
    out_y = apply_op(name, x + static, 0.5, _gen(seed + 1))
    torch.testing.assert_close(out_x.diff(dim=2), out_y.diff(dim=2), rtol=0, atol=2e-6)


@pytest.mark.parametrize("name", ["brightness", "saturation", "hue", "gaussian_blur", "patch_shuffle"])
def test_linear_ops_commute_with_frame_differences(name):
    """Strictly linear ops: op(x_t) - op(x_s) = op(x_t - x_s), checked on a difference shifted into range."""
    x = _clip(3, t=2, low=0.4, high=0.6)
    out = apply_op(name, x, 0.5, _gen(4))
    shifted = (x[:, :, 1:] - x[:, :, :1]) + 0.5  # a valid clip: the difference plus a constant grey
    grey = torch.full_like(shifted, 0.5)
    lin = apply_op(name, shifted, 0.5, _gen(4)) - apply_op(name, grey, 0.5, _gen(4))
    torch.testing.assert_close(out[:, :, 1:] - out[:, :, :1], lin, rtol=0, atol=2e-6)


@pytest.mark.parametrize("name", list(OPS))
def test_same_seed_same_output_and_range(name):
    x = _clip(11)
    a = apply_op(name, x, 1.0, _gen(5))
    b = apply_op(name, x, 1.0, _gen(5))
    assert torch.equal(a, b)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0


@pytest.mark.parametrize("name", PERTURBING)
def test_parameters_differ_between_clips_and_seeds(name):
    clip = _clip(12, b=1, low=0.2, high=0.8)
    twins = clip.expand(2, -1, -1, -1, -1).contiguous()
    out = apply_op(name, twins, 1.0, _gen(6))
    assert not torch.allclose(out[0], out[1]), "both clips got the same parameters"
    assert not torch.allclose(apply_op(name, twins, 1.0, _gen(7)), out)


@pytest.mark.parametrize("name", list(OPS))
def test_strength_zero_is_identity(name):
    x = _clip(13)
    torch.testing.assert_close(apply_op(name, x, 0.0, _gen(1)), x, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", list(OPS))
def test_runs_on_the_input_device(name):
    x = torch.rand(2, 3, 4, 16, 16, device="meta")
    assert apply_op(name, x, 1.0, _gen(0)).device.type == "meta"
    assert apply_op(name, x, 1.0).device.type == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(OPS))
def test_cuda_gives_the_cpu_values(name):
    """Parameters drawn from a CPU generator are the same numbers on any device, so the CUDA
    result is the CPU result up to float rounding; a CUDA generator is reproducible on its own."""
    x = _clip(0)
    on_cuda = apply_op(name, x.cuda(), 1.0, _gen(0))
    assert on_cuda.is_cuda
    torch.testing.assert_close(on_cuda.cpu(), apply_op(name, x, 1.0, _gen(0)), rtol=1e-4, atol=1e-4)
    a, b = (apply_op(name, x.cuda(), 1.0, torch.Generator("cuda").manual_seed(0)) for _ in range(2))
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert (name == "identity") == torch.allclose(a.cpu(), x, atol=1e-6)


def test_ops_reject_bad_input():
    with pytest.raises(ValueError, match="unknown TPA op"):
        apply_op("emboss", _clip(0))
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        apply_op("gaussian_blur", torch.rand(3, 4, 16, 16))
    with pytest.raises(TypeError, match="float"):
        apply_op("brightness", torch.zeros(1, 3, 2, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="strength"):
        apply_op("brightness", _clip(0), 1.5)


def test_default_branch_ops():
    assert default_branch_ops(1) == ["identity"]
    assert default_branch_ops(3) == list(DEFAULT_OPS[:3])
    assert default_branch_ops(5) == [*DEFAULT_OPS, "gaussian_noise"]
    assert set(default_branch_ops(5)) <= set(list_ops())
    with pytest.raises(ValueError, match="1..5"):
        default_branch_ops(6)


def test_tpa_views_are_branch_major_and_keep_identity_exact():
    x = normalize(_clip(20))
    tpa = TPA(["identity", "gaussian_blur", "patch_shuffle"], strength=0.7)
    views = tpa.views(x, _gen(3))
    assert views.shape == (6, *x.shape[1:])
    assert torch.equal(views[:2], x)
    gen = _gen(3)
    x01 = denormalize(x).clamp(0, 1)
    expected = [normalize(apply_op(op, x01, 0.7, gen)) for op in ["gaussian_blur", "patch_shuffle"]]
    torch.testing.assert_close(views[2:], torch.cat(expected))
    assert tpa(x01, _gen(3)).shape == (6, *x.shape[1:])


def test_tpa_keeps_channels_last_and_rejects_bad_ops():
    x = normalize(_clip(21)).contiguous(memory_format=torch.channels_last_3d)
    views = TPA(["color_jitter", "random_erasing"]).views(x)
    assert views.is_contiguous(memory_format=torch.channels_last_3d)
    with pytest.raises(ValueError, match="unknown TPA op"):
        TPA(["blur"])
    with pytest.raises(ValueError, match="strength"):
        TPA(["identity"], strength=2.0)
