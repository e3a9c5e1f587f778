"""MTCNN (Zhang et al., 2016): the default face detector, with a batched runner of our own.

Why MTCNN (measured in ``docs/faces.md``): its three small networks ship, trained, inside the
``facenet-pytorch`` wheel (nothing is downloaded at run time), it gives the five landmarks the
clip-level alignment needs, it runs on the GPU or the CPU with current torch, and it found faces in
more frames of the shared real/fake clips than OpenCV's Haar cascade. ``facenet-pytorch`` pins an
old torch in its metadata, so ``scripts/setup.sh`` installs it with ``--no-deps``.

Only the networks (P-, R-, O-net and their weights) come from facenet-pytorch. The cascade around
them is written here because facenet-pytorch's crops every candidate box with its own resize call
(hundreds per frame: 60 % of the CPU time, one kernel launch each on a GPU). Here the pyramid is one
antialiased resize per scale for the whole batch and the candidate crops are one ``roi_align`` call
per stage; boxes agree with facenet-pytorch's to within a few pixels (``docs/faces.md``).

The cascade: (1) the fully convolutional P-net scans an image pyramid whose smallest face is
``min_size`` pixels and proposes boxes on a 12-pixel grid of stride 2; (2) the R-net rescores and
refines 24 x 24 crops of the surviving square boxes; (3) the O-net rescores 48 x 48 crops and
regresses the box and the five landmarks. Non-maximum suppression after each stage.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms, roi_align

from sdrlib.data.faces.base import Detections, check_batch, downscale_batch
from sdrlib.utils.device import resolve_device

_STRIDE, _CELL = 2, 12


def _square(boxes: torch.Tensor) -> torch.Tensor:
    """Grow each box to a square about its centre (the R- and O-net take square crops)."""
    wh = boxes[:, 2:4] - boxes[:, :2]
    side = wh.max(dim=1, keepdim=True).values
    top_left = boxes[:, :2] + wh / 2 - side / 2
    return torch.cat([top_left, top_left + side], dim=1)


def _regress(boxes: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Apply the networks' box regression: offsets are fractions of the box's width and height."""
    wh = (boxes[:, 2:4] - boxes[:, :2]).repeat(1, 2)
    return boxes + offsets * wh


def _crops(images: torch.Tensor, boxes: torch.Tensor, image_ids: torch.Tensor, side: int) -> torch.Tensor:
    """``side`` x ``side`` crops of ``boxes`` (area-like sampling; zero outside the image)."""
    rois = torch.cat([image_ids[:, None].to(boxes.dtype), boxes], dim=1)
    return roi_align(
        images, rois, output_size=(side, side), spatial_scale=1.0, sampling_ratio=-1, aligned=True
    )


def _nms_min(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """NMS whose overlap is intersection over the *smaller* box: removes a box nested in another,
    which IoU-based NMS keeps (the original MTCNN's last step)."""
    order = np.argsort(-scores)
    areas = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        lt = np.maximum(boxes[best, :2], boxes[rest, :2])
        rb = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
        overlap = inter / np.maximum(np.minimum(areas[best], areas[rest]), 1e-9)
        order = rest[overlap <= threshold]
    return np.asarray(keep, np.int64)


class MTCNNDetector:
    """Batched MTCNN with five landmarks; large frames are downscaled before detection.

    Args:
        device: ``"auto"``, ``"cpu"``, ``"cuda"``... (see :func:`sdrlib.utils.resolve_device`).
        min_size: smallest face searched for, in pixels of the (downscaled) detection frame; the
            image pyramid, hence the cost, grows as this shrinks (MTCNN's usual value is 20).
        max_side: frames whose longer side exceeds this are downscaled for detection; boxes and
            landmarks are returned in the caller's pixels. ``None`` never downscales.
        thresholds: score thresholds of the P-, R- and O-net stages.
        factor: ratio between consecutive pyramid scales.
        batch_size: frames per network call.
    """

    name = "mtcnn"

    def __init__(
        self,
        device: str | torch.device = "auto",
        min_size: int = 20,
        max_side: int | None = 640,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        factor: float = 0.709,
        batch_size: int = 16,
    ) -> None:
        try:  # optional dependency (not in pyproject's dependencies): only this detector needs it
            from facenet_pytorch.models.mtcnn import ONet, PNet, RNet
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the MTCNN detector needs facenet-pytorch: pip install --no-deps 'facenet-pytorch>=2.5'"
            ) from err
        if min_size < _CELL:
            raise ValueError(f"min_size must be >= {_CELL} (the P-net's window), got {min_size}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        self.device = resolve_device(device)
        self.min_size = min_size
        self.max_side = max_side
        self.thresholds = thresholds
        self.factor = factor
        self.batch_size = batch_size
        # pretrained=True reads the weights stored inside the facenet-pytorch package. The P-net runs
        # on whole frames; channels-last makes its convolutions and max-pooling about 2x faster on CPU.
        self.pnet = PNet(pretrained=True).to(self.device, memory_format=torch.channels_last).eval()
        self.rnet = RNet(pretrained=True).to(self.device).eval()
        self.onet = ONet(pretrained=True).to(self.device).eval()

    def _scales(self, height: int, width: int) -> list[float]:
        scale = _CELL / self.min_size
        scales = []
        while min(height, width) * scale >= _CELL:
            scales.append(scale)
            scale *= self.factor
        return scales

    def _propose(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Stage 1: P-net over the pyramid -> square candidate boxes and their image ids."""
        height, width = images.shape[2:]
        boxes, ids = [], []
        for scale in self._scales(height, width):
            size = (int(height * scale + 1), int(width * scale + 1))
            scaled = F.interpolate(images, size=size, mode="bilinear", antialias=True, align_corners=False)
            scaled = scaled.contiguous(memory_format=torch.channels_last)
            offsets, probs = self.pnet(scaled)
            hits = (probs[:, 1] >= self.thresholds[0]).nonzero()
            if len(hits) == 0:
                continue
            image_id, row, col = hits.unbind(1)
            grid = torch.stack([col, row], dim=1).to(images.dtype) * _STRIDE
            cand = torch.cat([grid / scale, (grid + _CELL) / scale], dim=1)
            cand = _regress(cand, offsets[image_id, :, row, col])
            score = probs[image_id, 1, row, col]
            keep = batched_nms(cand, score, image_id, 0.5)
            boxes.append(torch.cat([cand[keep], score[keep, None]], dim=1))
            ids.append(image_id[keep])
        if not boxes:
            return images.new_zeros((0, 5)), torch.zeros(0, dtype=torch.long, device=images.device)
        all_boxes, all_ids = torch.cat(boxes), torch.cat(ids)
        keep = batched_nms(all_boxes[:, :4], all_boxes[:, 4], all_ids, 0.7)
        return _square(all_boxes[keep, :4]), all_ids[keep]

    def _refine(
        self, images: torch.Tensor, boxes: torch.Tensor, ids: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Stage 2: R-net on 24 x 24 crops -> rescored, regressed square boxes."""
        offsets, probs = self.rnet(_crops(images, boxes, ids, 24))
        keep = probs[:, 1] > self.thresholds[1]
        boxes, ids, offsets, score = boxes[keep], ids[keep], offsets[keep], probs[keep, 1]
        keep = batched_nms(boxes, score, ids, 0.7)
        return _square(_regress(boxes[keep], offsets[keep])), ids[keep]

    def _output(
        self, images: torch.Tensor, boxes: torch.Tensor, ids: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Stage 3: O-net on 48 x 48 crops -> final boxes, scores, landmarks."""
        offsets, points, probs = self.onet(_crops(images, boxes, ids, 48))
        keep = probs[:, 1] > self.thresholds[2]
        boxes, ids, offsets, points, score = (
            boxes[keep],
            ids[keep],
            offsets[keep],
            points[keep],
            probs[keep, 1],
        )
        # Landmarks are fractions of the box: x in the first five outputs, y in the last five.
        wh = boxes[:, 2:4] - boxes[:, :2]
        landmarks = torch.stack([points[:, :5], points[:, 5:]], dim=2) * wh[:, None, :] + boxes[:, None, :2]
        return _regress(boxes, offsets), score, landmarks, ids

    @torch.no_grad()
    def _detect_batch(self, frames: np.ndarray) -> list[Detections]:
        images = torch.from_numpy(frames).to(self.device).permute(0, 3, 1, 2).float()
        images = (images - 127.5) * 0.0078125
        boxes, ids = self._propose(images)
        if len(boxes):
            boxes, ids = self._refine(images, boxes, ids)
        if len(boxes):
            boxes, scores, landmarks, ids = self._output(images, boxes, ids)
        else:
            scores, landmarks = boxes.new_zeros(0), boxes.new_zeros((0, 5, 2))
        boxes_np, scores_np = boxes.cpu().numpy(), scores.cpu().numpy()
        landmarks_np, ids_np = landmarks.cpu().numpy(), ids.cpu().numpy()
        results = []
        for image_id in range(len(frames)):
            mine = np.flatnonzero(ids_np == image_id)
            keep = mine[_nms_min(boxes_np[mine], scores_np[mine], 0.7)] if len(mine) else mine
            results.append(
                Detections(
                    boxes_np[keep].astype(np.float32).reshape(-1, 4),
                    scores_np[keep].astype(np.float32).reshape(-1),
                    landmarks_np[keep].astype(np.float32).reshape(-1, 5, 2),
                )
            )
        return results

    def detect(self, frames: np.ndarray) -> list[Detections]:
        """Faces in each frame (see :class:`~sdrlib.data.faces.base.FaceDetector`).

        Shape:
            frames: ``(N, H, W, 3)`` uint8 RGB; returns ``N`` :class:`Detections`.
        """
        check_batch(frames)
        results: list[Detections] = []
        for begin in range(0, len(frames), self.batch_size):
            small, fx, fy = downscale_batch(frames[begin : begin + self.batch_size], self.max_side)
            results.extend(found.scaled(fx, fy) for found in self._detect_batch(small))
        return results
