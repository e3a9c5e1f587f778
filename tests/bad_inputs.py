"""Inputs for the bad-input battery of the ``sdr`` command (tests/test_cli_bad_inputs.py).

Everything is made in a temporary folder: tiny synthetic videos (noise, text, empty, audio only,
cut short), a micro checkpoint and its damaged copies. Videos with faces are derived from one shared
clip (liveportrait/d1.mp4, 16 frames) and only when the shared clips are present; the cases that
need them skip otherwise. Nothing derived from the shared clips leaves the temporary folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from engine_helpers import MICRO_MODELS

from sdrlib.cli import main
from sdrlib.data.video import read_frames, write_video
from sdrlib.data.video.samples import shared_videos_dir
from sdrlib.engine.checkpoint import CheckpointMeta, save_checkpoint
from sdrlib.models import create_model

ROOT = Path(__file__).resolve().parents[1]
#: fast face pipeline for the battery: OpenCV's Haar cascade, 32-pixel crops, on the CPU
FACE_OPTIONS = ["--device", "cpu", "--set", "detector=haar", "--set", "size=32"]


@dataclasses.dataclass
class Run:
    """What one ``sdr`` command did."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        """The command's own lines about how it ended (``sdr <command>: ...``)."""
        return [line for line in self.err.splitlines() if line.startswith("sdr ")]


def check_ending(run: Run, code: int, message: str | None = None) -> None:
    """The documented exit status, no traceback, and (with ``message``) exactly one closing line
    that matches it."""
    shown = f"exit {run.code}\nstdout:\n{run.out[-1500:]}\nstderr:\n{run.err[-3000:]}"
    assert "Traceback" not in run.out + run.err, shown
    assert run.code == code, shown
    if message is not None:
        assert len(run.error_lines) == 1, shown
        assert re.search(message, run.error_lines[0]), shown


def no_temporary_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.tmp"))


def sdr_in_process(capsys: pytest.CaptureFixture, *argv: str | Path) -> Run:
    capsys.readouterr()
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def forked_workers(group: int) -> int:
    """How many processes of process group ``group`` run the multiprocessing fork server's code
    (the server and the workers forked from it), read from /proc."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        count += int(fields[2]) == group and b"forkserver" in cmdline
    return count


def sdr_subprocess(*argv: str | Path, wait_for: Callable[[list[str], int], bool], signum: int) -> Run:
    """Run ``sdr`` as its own process group, send ``signum`` to the whole group (as a terminal's
    Ctrl-C or a scheduler does) once ``wait_for(stdout lines so far, process group)`` holds, and
    wait for the end."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sdrlib.cli", *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        # a terminal's job starts with Ctrl-C at its default, whatever the test runner inherited
        # (a background job of a non-interactive shell ignores SIGINT, and its children would too)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    while not wait_for(lines, process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        os.killpg(process.pid, signum)
    try:
        err = process.stderr.read()
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    reader.join(10)
    return Run(process.returncode, "".join(lines), err)


@contextlib.contextmanager
def signal_when(predicate: Callable[[], bool], signum: int) -> Iterator[None]:
    """Send ``signum`` to this process from a watcher thread once ``predicate()`` holds.

    A SIGTERM that would come after the command ended is ignored instead of killing pytest.
    """
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            if predicate():
                os.kill(os.getpid(), signum)
                return

    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(10)
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def disk_full_when(full: Callable[[str], bool]) -> Iterator[None]:
    """``os.fsync`` fails with ENOSPC for files ``full(path)`` calls full (every writer syncs)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if full(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    os.fsync = fsync
    try:
        yield
    finally:
        os.fsync = real


def count_lines(path: Path) -> int:
    return path.read_text().count("\n") if path.is_file() else 0


def micro_checkpoint(run_dir: Path, model: str = "ftcn") -> Path:
    """A micro checkpoint (untrained weights) as a run directory: ``run_dir/checkpoints/best``."""
    options = MICRO_MODELS[model]
    meta = CheckpointMeta(model_name=model, model_options=options, clip_len=4, input_size=16)
    save_checkpoint(run_dir / "checkpoints" / "best", create_model(model, **options), meta)
    return run_dir


def _write_noise(path: Path, frames: int = 12, side: int = 64, seed: int = 0) -> Path:
    noise = np.random.default_rng(seed).integers(0, 255, (frames, side, side, 3), dtype=np.uint8)
    return write_video(path, noise, preset="ultrafast")


def _write_audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for _ in range(8):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _write_faststart(path: Path, frames: np.ndarray) -> Path:
    """H.264 with the index first (as phones write), so a cut copy still decodes its first frames."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.options = {"g": "4"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _resize(frames: np.ndarray, side: int) -> np.ndarray:
    return np.stack([cv2.resize(frame, (side, side), interpolation=cv2.INTER_AREA) for frame in frames])


@dataclasses.dataclass
class Media:
    """The battery's input files (faces: None without the shared clips)."""

    folder: Path
    noise: Path
    text: Path
    empty: Path
    audio_only: Path
    cut: Path
    faces: dict[str, Path] | None

    def face(self, name: str) -> Path:
        if self.faces is None:
            pytest.skip(f"shared videos not found at {shared_videos_dir()} (the face cases need one clip)")
        return self.faces[name]


def make_media(folder: Path) -> Media:
    folder.mkdir(parents=True, exist_ok=True)
    noise = _write_noise(folder / "noise.mp4")
    (folder / "text.mp4").write_text("this is not a video\n")
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "cut.mp4").write_bytes(noise.read_bytes()[:1500])
    media = Media(
        folder,
        noise,
        folder / "text.mp4",
        folder / "empty.mp4",
        _write_audio_only(folder / "audio.mp4"),
        folder / "cut.mp4",
        None,
    )
    source = shared_videos_dir() / "liveportrait" / "d1.mp4"
    if source.is_file():
        face = _resize(read_frames(source), 128)  # 16 frames, one face of about 88 px
        tiny = np.zeros((len(face), 192, 192, 3), np.uint8)
        tiny[:, 70:114, 70:114] = _resize(face, 44)  # a face of about 30 px: below min_face_size
        cut = _write_faststart(folder / "face_full_index.mp4", face).read_bytes()
        (folder / "face_truncated.mp4").write_bytes(cut[: int(len(cut) * 0.7)])
        media.faces = {
            "face": write_video(folder / "face.mp4", face, preset="ultrafast"),
            "two": write_video(
                folder / "two.mp4",
                np.ascontiguousarray(np.concatenate([face, face[:, :, ::-1]], 2)),
                preset="ultrafast",
            ),
            "tiny": write_video(folder / "tiny.mp4", tiny, preset="ultrafast"),
            "three": write_video(folder / "three.mp4", face[:3], preset="ultrafast"),
            "five": write_video(folder / "five.mp4", face[:5], preset="ultrafast"),
            "truncated": folder / "face_truncated.mp4",
        }
    return media
