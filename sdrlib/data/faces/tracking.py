"""Face tracks: linking per-frame detections over time, filling the frames in between.

Detection runs on every ``N``-th frame (the detector is the pipeline's main cost on a CPU). Tracks
are built from those key frames by greedy IoU association (a face moves little in ``N`` frames;
the largest overlaps are matched first; a detection that overlaps no track may still continue the
nearest track of similar size whose box centre is less than one box side away), may miss up to ``max_missed`` key frames in a row (a
turned head, a blink of the detector), and are densified to every frame by linear interpolation of
boxes and landmarks; a track still alive at the last key frame is held to the end of the video.
An optional centred moving average smooths the per-frame boxes and landmarks. The book chapter on
data preparation shows the trade-off of ``N`` (SDR_SPEC section 4: FTCN detects on every frame).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sdrlib.data.faces.base import Detections


@dataclasses.dataclass
class Track:
    """One face followed over consecutive frames (frame coordinates).

    Shape:
        frame_indices: ``(T,)`` int64, consecutive.
        boxes: ``(T, 4)`` float32 ``x1, y1, x2, y2``.
        landmarks: ``(T, 5, 2)`` float32.
        detected: ``(T,)`` bool, True where the detector found this face (else interpolated/held).
    """

    track_id: int
    frame_indices: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    detected: np.ndarray

    def __len__(self) -> int:
        return len(self.frame_indices)

    @property
    def face_sizes(self) -> np.ndarray:
        """Per-frame face size: the geometric mean of box width and height, in pixels."""
        wh = np.clip(self.boxes[:, 2:] - self.boxes[:, :2], 0, None)
        return np.sqrt(wh[:, 0] * wh[:, 1])

    @property
    def mean_face_size(self) -> float:
        return float(self.face_sizes.mean())

    @property
    def extent(self) -> float:
        """How much face the track holds: frames x mean box area (used to pick the main face)."""
        return float(len(self) * np.mean(self.face_sizes**2))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of ``a`` with every box of ``b``.

    Shape:
        a: ``(M, 4)``; b: ``(K, 4)`` xyxy; output ``(M, K)``.
    """
    a = np.asarray(a, np.float64)[:, None, :]
    b = np.asarray(b, np.float64)[None, :, :]
    inter_wh = np.clip(np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0, None)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    area_a = np.prod(np.clip(a[..., 2:] - a[..., :2], 0, None), axis=-1)
    area_b = np.prod(np.clip(b[..., 2:] - b[..., :2], 0, None), axis=-1)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


# A detection that overlaps no track (IoU below the threshold) may still continue one when its
# centre moved less than this many box sides and its size changed less than this factor: with
# detection every N frames, a fast head (a dance, a turn) leaves the IoU gate between key frames.
_MAX_JUMP = 1.0
_MAX_SIZE_RATIO = 1.5


def _affinity(track_boxes: np.ndarray, boxes: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Link scores (0 = never): the IoU where it reaches the threshold, else a centre-distance
    score below the threshold, so that every overlap-based link is taken before a distance one."""
    iou = box_iou(track_boxes, boxes)
    side_t = np.sqrt(np.prod(np.clip(track_boxes[:, 2:] - track_boxes[:, :2], 1e-6, None), axis=1))[:, None]
    side_d = np.sqrt(np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 1e-6, None), axis=1))[None, :]
    centre_t = (track_boxes[:, None, :2] + track_boxes[:, None, 2:]) / 2
    centre_d = (boxes[None, :, :2] + boxes[None, :, 2:]) / 2
    jump = np.linalg.norm(centre_t - centre_d, axis=-1) / side_t
    similar = np.maximum(side_t / side_d, side_d / side_t) <= _MAX_SIZE_RATIO
    closeness = np.where(similar, np.clip(1.0 - jump / _MAX_JUMP, 0.0, None), 0.0)
    return np.where(iou >= iou_threshold, iou, iou_threshold * closeness)


def _greedy_match(affinity: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (row, col) taken in decreasing affinity, each row and column at most once, affinity > 0."""
    pairs = []
    used_rows, used_cols = set(), set()
    for flat in np.argsort(-affinity, axis=None):
        row, col = np.unravel_index(flat, affinity.shape)
        if affinity[row, col] <= 0:
            break
        if row in used_rows or col in used_cols:
            continue
        pairs.append((int(row), int(col)))
        used_rows.add(row)
        used_cols.add(col)
    return pairs


@dataclasses.dataclass
class _Open:
    born: int
    keys: list[int]
    boxes: list[np.ndarray]
    landmarks: list[np.ndarray]
    missed: int = 0


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along axis 0, edges padded with the edge value."""
    if window <= 1 or len(values) < 2:
        return values
    half = window // 2
    flat = values.reshape(len(values), -1).astype(np.float64)
    padded = np.concatenate([np.repeat(flat[:1], half, 0), flat, np.repeat(flat[-1:], half, 0)])
    cumsum = np.cumsum(np.concatenate([np.zeros((1, flat.shape[1])), padded]), axis=0)
    averaged = (cumsum[2 * half + 1 :] - cumsum[: -(2 * half + 1)]) / (2 * half + 1)
    return averaged.reshape(values.shape).astype(values.dtype)


def _densify(track_id: int, item: _Open, last_frame: int, smooth_window: int) -> Track:
    keys = np.asarray(item.keys, np.int64)
    frames = np.arange(keys[0], last_frame + 1, dtype=np.int64)
    flat = np.concatenate(
        [np.stack(item.boxes).reshape(len(keys), -1), np.stack(item.landmarks).reshape(len(keys), -1)], axis=1
    )
    # np.interp holds the last key's value past it, which is the hold to the end of the video.
    dense = np.stack([np.interp(frames, keys, flat[:, c]) for c in range(flat.shape[1])], axis=1)
    dense = _moving_average(dense, smooth_window).astype(np.float32)
    detected = np.zeros(len(frames), bool)
    detected[keys - keys[0]] = True
    return Track(track_id, frames, dense[:, :4].copy(), dense[:, 4:].reshape(-1, 5, 2).copy(), detected)


def build_tracks(
    keyframes: list[tuple[int, Detections]],
    last_frame: int,
    iou_threshold: float = 0.3,
    max_missed: int = 2,
    smooth_window: int = 1,
) -> list[Track]:
    """Link detections of key frames into per-frame tracks.

    Args:
        keyframes: ``(frame index, detections)`` for each frame the detector ran on, any order.
        last_frame: index of the video's last frame (tracks alive at the last key frame are held
            up to it).
        iou_threshold: smallest IoU between a track's last box and a detection to link them.
        max_missed: key frames in a row a track may miss before it ends; the gap is interpolated.
        smooth_window: frames of the centred moving average applied to boxes and landmarks
            (1 = none).

    Returns:
        Tracks in order of first appearance (ties: detector order), ids ``0, 1, ...`` in that order.
    """
    if iou_threshold <= 0 or max_missed < 0 or smooth_window < 1:
        raise ValueError(
            f"need iou_threshold > 0, max_missed >= 0, smooth_window >= 1; got {iou_threshold}, {max_missed}, {smooth_window}"
        )
    keyframes = sorted(keyframes, key=lambda kd: kd[0])
    active: list[_Open] = []
    finished: list[_Open] = []
    for index, detections in keyframes:
        matches: list[tuple[int, int]] = []
        if active and len(detections):
            last_boxes = np.stack([item.boxes[-1] for item in active])
            matches = _greedy_match(_affinity(last_boxes, detections.boxes, iou_threshold))
        matched_tracks = {row for row, _ in matches}
        matched_dets = {col for _, col in matches}
        for row, col in matches:
            item = active[row]
            item.keys.append(index)
            item.boxes.append(detections.boxes[col])
            item.landmarks.append(detections.landmarks[col])
            item.missed = 0
        still_active = []
        for row, item in enumerate(active):
            if row not in matched_tracks:
                item.missed += 1
            (finished if item.missed > max_missed else still_active).append(item)
        active = still_active
        for col in range(len(detections)):
            if col not in matched_dets:
                born = len(active) + len(finished)
                active.append(_Open(born, [index], [detections.boxes[col]], [detections.landmarks[col]]))
    last_key = keyframes[-1][0] if keyframes else -1
    ordered = sorted(finished + active, key=lambda item: item.born)
    # Only a track seen at the final key frame runs on (held) to the end of the video.
    return [
        _densify(
            i,
            item,
            max(last_frame, item.keys[-1]) if item.keys[-1] == last_key else item.keys[-1],
            smooth_window,
        )
        for i, item in enumerate(ordered)
    ]
