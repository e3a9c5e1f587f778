"""Loading user weights and inflating 2D ResNet-50 weights (no downloads)."""

from __future__ import annotations

import pytest
import timm
import torch
from safetensors.torch import save_file

from sdrlib.models import create_model
from sdrlib.models.weights import inflate_2d_resnet50, inflate_kernel, load_weights

TINY = {"width_mult": 0.125, "depth_mult": 0.25, "num_frames": 4, "input_size": 32}


@pytest.fixture(scope="module")
def resnet50_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return timm.create_model("resnet50", pretrained=False).state_dict()


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_round_trip_through_a_file(tmp_path, suffix):
    torch.manual_seed(0)
    source = create_model("ftcn", **TINY).eval()
    path = tmp_path / f"w{suffix}"
    state = {k: v.contiguous() for k, v in source.state_dict().items()}
    if suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    torch.manual_seed(1)
    target = create_model("ftcn", weights=str(path), **TINY).eval()
    x = torch.randn(1, 3, 4, 32, 32)
    assert torch.equal(source(x).logit, target(x).logit)


def test_mismatches_are_named(tmp_path):
    state = create_model("ftcn", **TINY).state_dict()
    target = create_model("ftcn", **TINY)
    bad = dict(state)
    bad.pop("head.fc.weight")
    bad["extra.weight"] = torch.zeros(1)
    bad["head.fc.bias"] = torch.zeros(2)
    with pytest.raises(
        ValueError, match=r"missing keys: head\.fc\.weight.*unexpected keys: extra\.weight.*head\.fc\.bias"
    ):
        load_weights(target, bad)
    report = load_weights(target, bad, allow_partial=True)
    assert report.missing == ["head.fc.weight"] and report.unexpected == ["extra.weight"]
    assert report.mismatched == ["head.fc.bias: (2,) vs (1,)"]
    assert "trunk.stem.conv.weight" in report.loaded and "head.fc.bias" not in report.loaded
    with pytest.raises(FileNotFoundError):
        load_weights(target, tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a safetensors file or a torch state dict"):
        load_weights(target, tmp_path / "junk.pt")


def test_inflate_kernel_rules():
    w = torch.arange(2 * 1 * 3 * 3, dtype=torch.float32).view(2, 1, 3, 3)
    centre = inflate_kernel(w, (2, 1, 3, 3, 3), temporal="centre")
    assert torch.equal(centre[:, :, 1], w) and float(centre[:, :, 0].abs().sum()) == 0
    mean = inflate_kernel(w, (2, 1, 3, 3, 3), temporal="mean")
    torch.testing.assert_close(mean.sum(dim=2), w)
    summed = inflate_kernel(w, (2, 1, 1, 1, 1), spatial="sum")
    torch.testing.assert_close(summed.flatten(), w.sum(dim=(1, 2, 3)))
    tap = inflate_kernel(w, (2, 1, 1, 1, 1), spatial="centre")
    torch.testing.assert_close(tap.flatten(), w[:, 0, 1, 1])
    with pytest.raises(ValueError, match="channel counts differ"):
        inflate_kernel(w, (4, 1, 1, 1, 1))


@pytest.mark.parametrize("name", ["ftcn", "i3d"])
def test_inflate_resnet50_fills_every_trunk_tensor(name, resnet50_state):
    model = create_model(name)
    report = inflate_2d_resnet50(model, resnet50_state, temporal="mean")
    assert not report.missing
    assert "fc.weight" in report.unexpected
    assert any(k.startswith("layer4.") for k in report.unexpected) == (name == "ftcn")
    stem = model.trunk.stem.conv.weight
    expected = resnet50_state["conv1.weight"]
    if name == "ftcn":
        expected = expected.sum(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(stem.sum(dim=2), expected)
    torch.testing.assert_close(model.trunk.res3[0].bn_c.weight, resnet50_state["layer2.0.bn3.weight"])


def test_inflate_rejects_narrow_models(resnet50_state):
    with pytest.raises(ValueError, match="width_mult=1"):
        inflate_2d_resnet50(create_model("ftcn", **TINY), resnet50_state)
    with pytest.raises(TypeError, match="no 3D ResNet trunk"):
        inflate_2d_resnet50(create_model("frame2d"), resnet50_state)
