"""Bad inputs against ``sdr predict``, ``sdr prepare folder`` and ``sdr evaluate``, one case each.

Every case ends with the documented exit status (``sdr --help``, docs/cli.md), no traceback, one
closing line that says what went wrong, no temporary file left, and the rest of a batch done; the
interrupted ones (Ctrl-C, SIGTERM, a full disk) resume when run again. Most cases call the command
in this process; the ones where other processes matter (workers receiving the terminal's Ctrl-C or
a scheduler's SIGTERM) run it as a process group. The inputs are in tests/bad_inputs.py.
"""

from __future__ import annotations

import csv
import json
import re
import signal
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bad_inputs import (
    FACE_OPTIONS,
    Media,
    Run,
    check_ending,
    count_lines,
    disk_full_when,
    forked_workers,
    make_media,
    micro_checkpoint,
    no_temporary_files,
    sdr_in_process,
    sdr_subprocess,
    signal_when,
)

CASES: dict[str, Callable[[Env], None]] = {}
#: videos in the batches that are stopped half-way: enough for the signal to land mid-batch on a
#: busy machine (each takes some 20 ms)
BATCH = 120


def case(fn: Callable[[Env], None]) -> Callable[[Env], None]:
    CASES[fn.__name__.removeprefix("case_")] = fn
    return fn


class Env:
    """What a case gets: the media, a checkpoint, its own folder and a way to run ``sdr``."""

    def __init__(self, media: Media, checkpoint: Path, tmp: Path, capsys, caplog) -> None:
        self.media, self.checkpoint, self.tmp, self.capsys, self.caplog = (
            media,
            checkpoint,
            tmp,
            capsys,
            caplog,
        )

    def sdr(self, *argv: str | Path) -> Run:
        return sdr_in_process(self.capsys, *argv)

    def predict(self, path: Path, *extra: str | Path, checkpoint: Path | None = None) -> Run:
        ckpt = checkpoint or self.checkpoint
        return self.sdr("predict", path, "--checkpoint", ckpt, *FACE_OPTIONS, *extra)

    def prepare(self, root: Path, out: Path, *extra: str | Path) -> Run:
        return self.sdr(
            "prepare", "folder", "--root", root, "--out", out, "--no-progress", *FACE_OPTIONS, *extra
        )

    def folder(self, name: str, files: dict[str, Path | str | None]) -> Path:
        """A folder of links to media (a str: a text file, None: a broken link)."""
        root = self.tmp / name
        for rel, source in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, str):
                (root / rel).write_text(source)
            else:
                (root / rel).symlink_to(source if source is not None else self.tmp / "gone.mp4")
        return root


@pytest.fixture(autouse=True)
def signal_state_is_restored():
    """Every case leaves this process's signal handlers and mask as it found them: a case that left
    SIGINT blocked or ignored would also pass that on to the commands later cases start."""
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), signal.pthread_sigmask(signal.SIG_BLOCK, []))
    yield
    after = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), signal.pthread_sigmask(signal.SIG_BLOCK, []))
    assert after == before


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Media:
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return micro_checkpoint(tmp_path_factory.mktemp("ckpt") / "run")


def _weights(run_dir: Path) -> Path:
    return run_dir / "checkpoints" / "best.safetensors"


def _damaged_checkpoint(env: Env, damage: Callable[[Path], None]) -> Path:
    run_dir = micro_checkpoint(env.tmp / "damaged")
    damage(run_dir / "checkpoints")
    return run_dir


# ---- sdr predict: one video ------------------------------------------------------------------


@case
def case_predict_not_a_video(env: Env) -> None:
    check_ending(env.predict(env.media.text), 2, r"text\.mp4: not a readable video \(")


@case
def case_predict_truncated_unreadable(env: Env) -> None:
    check_ending(env.predict(env.media.cut), 2, r"cut\.mp4: not a readable video")


@case
def case_predict_empty_file(env: Env) -> None:
    check_ending(env.predict(env.media.empty), 2, r"empty\.mp4: empty file \(0 bytes\)")


@case
def case_predict_audio_only(env: Env) -> None:
    check_ending(env.predict(env.media.audio_only), 2, r"audio\.mp4: contains no video stream")


@case
def case_predict_no_face(env: Env) -> None:
    check_ending(env.predict(env.media.noise), 2, r"noise\.mp4: no face found in \d+ checked frames")


@case
def case_predict_tiny_face(env: Env) -> None:
    check_ending(
        env.predict(env.media.face("tiny")),
        2,
        r"tiny\.mp4: the largest face is \d+ px, below min_face_size=40",
    )


@case
def case_predict_two_faces(env: Env) -> None:
    run = env.predict(env.media.face("two"))
    check_ending(run, 0)
    assert "2 face tracks found; kept the largest" in run.out and "--all-tracks" in run.out


@case
def case_predict_truncated_with_frames(env: Env) -> None:
    run = env.predict(env.media.face("truncated"))
    check_ending(run, 0)
    assert re.search(r"decoded \d+ of the 16 frames the container announces", run.out)


@case
def case_predict_fewer_frames_than_a_clip(env: Env) -> None:
    run = env.predict(env.media.face("three"), "--out", env.tmp / "out")
    check_ending(run, 0)
    assert "mirror-padded to 4 frames" in run.out
    track = json.loads((env.tmp / "out" / "three.json").read_text())["tracks"][0]
    assert track["padded"] and track["n_frames"] == 4


@case
def case_predict_missing_path(env: Env) -> None:
    check_ending(env.predict(env.tmp / "absent.mp4"), 2, r"no such file or folder: .*absent\.mp4")


@case
def case_predict_broken_link(env: Env) -> None:
    link = env.folder("links", {"broken.mp4": None}) / "broken.mp4"
    check_ending(env.predict(link), 2, r"broken\.mp4: broken symbolic link")


@case
def case_predict_folder_without_videos(env: Env) -> None:
    root = env.folder("notes", {"notes.txt": "hello\n", "clip.mp4": None})
    run = env.predict(root)
    check_ending(run, 2, r"no video files under")
    assert f"skipped {root / 'clip.mp4'}: broken symbolic link" in run.err
    assert f"skipped {root / 'notes.txt'}: not a video file name (.txt)" in run.err


@case
def case_predict_checkpoint_folder_not_a_run(env: Env) -> None:
    (env.tmp / "not_a_run").mkdir()
    run = env.predict(env.media.noise, checkpoint=env.tmp / "not_a_run")
    check_ending(run, 2, r"not_a_run is a directory without checkpoints/best\.json")


@case
def case_predict_checkpoint_truncated(env: Env) -> None:
    def cut(folder: Path) -> None:
        data = (folder / "best.safetensors").read_bytes()
        (folder / "best.safetensors").write_bytes(data[: len(data) // 2])

    run = env.predict(env.media.noise, checkpoint=_damaged_checkpoint(env, cut))
    check_ending(run, 2, r"best\.safetensors: damaged weights file \(.*\d+ bytes\)")


@case
def case_predict_checkpoint_empty(env: Env) -> None:
    run = env.predict(
        env.media.noise,
        checkpoint=_damaged_checkpoint(env, lambda f: (f / "best.safetensors").write_bytes(b"")),
    )
    check_ending(run, 2, r"best\.safetensors: damaged weights file \(.*0 bytes\)")


@case
def case_predict_checkpoint_of_another_model(env: Env) -> None:
    other = micro_checkpoint(env.tmp / "other", "i3d")
    run = env.predict(
        env.media.noise,
        checkpoint=_damaged_checkpoint(
            env, lambda f: (f / "best.safetensors").write_bytes(_weights(other).read_bytes())
        ),
    )
    check_ending(run, 2, r"best\.safetensors: not the weights of model ftcn as best\.json describes it \(")


@case
def case_predict_checkpoint_corrupt_json(env: Env) -> None:
    run = env.predict(
        env.media.noise, checkpoint=_damaged_checkpoint(env, lambda f: (f / "best.json").write_text("{"))
    )
    check_ending(run, 2, r"best\.json: corrupt checkpoint metadata")


@case
def case_predict_out_is_a_file(env: Env) -> None:
    (env.tmp / "taken").write_text("mine\n")
    check_ending(env.predict(env.media.noise, "--out", env.tmp / "taken"), 2, r"--out .*taken is a file")
    assert (env.tmp / "taken").read_text() == "mine\n"


# ---- sdr predict: a batch ---------------------------------------------------------------------


@case
def case_predict_batch_some_fail(env: Env) -> None:
    files = {"a_text.mp4": env.media.text, "b_noise.mp4": env.media.noise, "c_gone.mp4": None, "d.txt": "x\n"}
    if env.media.faces is not None:
        files["e_face.mp4"] = env.media.faces["face"]
    root = env.folder("batch", files)
    run = env.predict(root, "--out", env.tmp / "out")
    check_ending(run, 3)
    failed = [line for line in run.err.splitlines() if ": error: " in line and not line.startswith("sdr ")]
    assert [Path(line.split(":")[0]).name for line in failed] == ["a_text.mp4", "b_noise.mp4"]
    assert f"skipped {root / 'c_gone.mp4'}: broken symbolic link" in run.err
    assert (
        run.err.splitlines()[-1]
        == f"2 of {len(files) - 2} videos failed; every video has a row in {env.tmp / 'out' / 'predictions.csv'}"
    )
    rows = list(csv.DictReader((env.tmp / "out" / "predictions.csv").open()))
    assert [row["verdict"] for row in rows[:2]] == ["error", "error"]
    if env.media.faces is not None:
        assert re.fullmatch(r"\d+", rows[2]["n_clips"]) and rows[2]["n_clips"] == "4"  # not 4.0
        assert (env.tmp / "out" / "e_face.json").is_file()


@case
def case_predict_disk_full_keeps_what_was_scored(env: Env) -> None:
    root = env.folder("batch", {f"v{i}.mp4": env.media.noise for i in range(4)})
    table = env.tmp / "out" / "predictions.csv"
    # the disk fills up once one video has its row (the header is the first line)
    with disk_full_when(lambda path: count_lines(table) >= (3 if path == str(table.resolve()) else 2)):
        run = env.predict(root, "--out", env.tmp / "out")
    check_ending(run, 1, r"predictions\.csv: cannot write \(No space left on device\)")
    assert pd.read_csv(table)["video"].tolist() == [str(root / "v0.mp4")]


@case
def case_predict_sigterm_mid_batch(env: Env) -> None:
    root = env.folder("batch", {f"v{i:03d}.mp4": env.media.noise for i in range(BATCH)})
    table = env.tmp / "out" / "predictions.csv"
    with signal_when(lambda: count_lines(table) >= 3, signal.SIGTERM):
        run = env.predict(root, "--out", env.tmp / "out", "--set", "detect_every=1")
    check_ending(
        run,
        143,
        r"^sdr predict: terminated \(SIGTERM\); the videos scored so far are printed above and, with --out, written there$",
    )
    done = pd.read_csv(table)
    assert 2 <= len(done) < BATCH and done["verdict"].eq("error").all()


# ---- sdr prepare folder -----------------------------------------------------------------------


@case
def case_prepare_out_inside_root(env: Env) -> None:
    root = env.folder("raw", {"real/a.mp4": env.media.noise, "fake/b.mp4": env.media.noise})
    out = root / "prepared"
    for track in ("real/a.t0.mp4", "fake/b.t0.mp4"):  # the tracks a first run wrote
        (out / "tracks" / "raw" / track).parent.mkdir(parents=True, exist_ok=True)
        (out / "tracks" / "raw" / track).write_bytes(env.media.noise.read_bytes())
    run = env.prepare(root, out, "--dry-run")
    check_ending(run, 0)
    assert "test   raw               1      1" in run.out  # not 2 and 2
    assert f"--out {out} is inside --root: its files are never taken as videos" in run.err


@case
def case_prepare_skipped_files_are_named(env: Env) -> None:
    root = env.folder(
        "raw",
        {
            "real/a.mp4": env.media.noise,
            "real/b.webm": env.media.noise,
            "real/notes.txt": "x\n",
            "fake/gone.mp4": None,
            "loose.mp4": env.media.noise,
        },
    )
    run = env.prepare(root, env.tmp / "out", "--dry-run")
    check_ending(run, 0)
    assert "test   raw               2      0" in run.out  # .webm is a video
    assert f"skipped {root / 'real' / 'notes.txt'}: not a video file name (.txt)" in run.err
    assert f"skipped {root / 'fake' / 'gone.mp4'}: broken symbolic link" in run.err
    assert f"skipped {root / 'loose.mp4'}: not below a folder named real/ or fake/ (no label)" in run.err


@case
def case_prepare_root_is_a_file(env: Env) -> None:
    check_ending(
        env.prepare(env.media.noise, env.tmp / "out"),
        2,
        r"--root .*noise\.mp4 is a file, not a folder of videos",
    )


@case
def case_prepare_root_missing(env: Env) -> None:
    check_ending(env.prepare(env.tmp / "absent", env.tmp / "out"), 2, r"folder not found: .*absent")


@case
def case_prepare_out_is_a_file(env: Env) -> None:
    root = env.folder("raw", {"real/a.mp4": env.media.noise})
    (env.tmp / "taken").write_text("mine\n")
    check_ending(env.prepare(root, env.tmp / "taken"), 2, r"--out .*taken is a file, not a dataset folder")


@case
def case_prepare_batch_failures_are_named(env: Env) -> None:
    files = {
        "real/noise.mp4": env.media.noise,
        "fake/text.mp4": env.media.text,
        "fake/audio.mp4": env.media.audio_only,
    }
    if env.media.faces is not None:
        files["real/face.mp4"] = env.media.faces["face"]
    root = env.folder("raw", files)
    run = env.prepare(root, env.tmp / "out", "--set", "clip_len=8")
    check_ending(run, 3)
    failures = env.tmp / "out" / "failures.csv"
    logged = [r.getMessage() for r in env.caplog.records if "listed in failures.csv" in r.getMessage()]
    assert sorted(message.split(":")[0] for message in logged) == [
        "fake/audio.mp4",
        "fake/text.mp4",
        "real/noise.mp4",
    ]
    assert any("real/noise.mp4: NoFaceError: " in message for message in logged)
    assert f"3 failed (NoFaceError: 1, VideoError: 2, listed in {failures})" in run.out
    assert len(pd.read_csv(failures)) == 3


@case
def case_prepare_disk_full_then_resume(env: Env) -> None:
    names = ["a", "b", "c"]
    files = {f"real/{n}.mp4": (env.media.faces or {}).get("face", env.media.noise) for n in names}
    root = env.folder("raw", files)
    out = env.tmp / "out"
    progress = out / "progress" / "all.jsonl"
    # the disk fills up once the first video is recorded
    with disk_full_when(lambda path: count_lines(progress) >= (2 if path == str(progress.resolve()) else 1)):
        run = env.prepare(root, out, "--set", "clip_len=8")
    check_ending(run, 1, r"No space left on device.*run the same command again to resume$")
    assert no_temporary_files(out) == []
    again = env.prepare(root, out, "--set", "clip_len=8")
    check_ending(again, 0 if env.media.faces else 3)
    assert re.search(r"3 videos: 2 processed, 1 already done", again.out)


@case
def case_prepare_removes_what_a_killed_run_left(env: Env) -> None:
    root = env.folder("raw", {"real/a.mp4": env.media.noise})
    leftovers = [
        env.tmp / "out" / "tracks" / "raw" / "real" / ".a.t0.mp4.x1y2.tmp",
        env.tmp / "out" / ".manifest.csv.k3.tmp",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    check_ending(env.prepare(root, env.tmp / "out"), 3)
    assert not any(path.exists() for path in leftovers)


@case
def case_prepare_fewer_frames_than_a_clip(env: Env) -> None:
    root = env.folder("raw", {"real/five.mp4": env.media.face("five")})
    run = env.prepare(root, env.tmp / "out")
    check_ending(run, 0)
    row = pd.read_csv(env.tmp / "out" / "manifest.csv").iloc[0]
    assert (row["frames"], row["padded"]) == (32, 1)
    assert any(
        "five.mp4: track 0 has 5 frames, fewer than clip_len=32: mirror-padded" in r.getMessage()
        for r in env.caplog.records
    )


@case
def case_prepare_two_faces_and_truncated_warn_on_screen(env: Env) -> None:
    root = env.folder(
        "raw", {"real/two.mp4": env.media.face("two"), "fake/cut.mp4": env.media.face("truncated")}
    )
    check_ending(env.prepare(root, env.tmp / "out", "--set", "clip_len=4"), 0)
    messages = [r.getMessage() for r in env.caplog.records]
    assert any(
        m.startswith("real/two.mp4: 2 face tracks found") and "--set all_tracks=true" in m for m in messages
    )
    assert any(m.startswith("fake/cut.mp4: decoded") and "truncated or damaged file?" in m for m in messages)


def _prepare_signal_then_resume(env: Env, signum: int, code: int, word: str) -> None:
    root = env.folder("raw", {f"real/v{i:03d}.mp4": env.media.noise for i in range(BATCH)})
    out = env.tmp / "out"
    progress = out / "progress" / "all.jsonl"
    with signal_when(lambda: count_lines(progress) >= 2, signum):
        run = env.prepare(root, out, "--set", "detect_every=1")
    hint = "the videos finished so far are kept; run the same command again to resume"
    check_ending(run, code, rf"^sdr prepare: {word}; {hint}$")
    assert no_temporary_files(out) == []
    done = count_lines(progress)
    assert 2 <= done < BATCH
    again = env.prepare(root, out, "--set", "detect_every=1")
    check_ending(again, 3)
    assert f"{BATCH} videos: {BATCH - done} processed, {done} already done, {BATCH} failed" in again.out


@case
def case_prepare_sigterm_mid_batch_then_resume(env: Env) -> None:
    _prepare_signal_then_resume(env, signal.SIGTERM, 143, r"terminated \(SIGTERM\)")


@case
def case_prepare_sigint_mid_batch_then_resume(env: Env) -> None:
    _prepare_signal_then_resume(env, signal.SIGINT, 130, "interrupted")


@case
def case_prepare_ctrl_c_while_workers_start(env: Env) -> None:
    # 40 videos, so that a loaded machine cannot finish the batch before the signal lands
    root = env.folder("raw", {f"real/v{i:02d}.mp4": env.media.noise for i in range(40)})
    argv = [
        "prepare",
        "folder",
        "--root",
        root,
        "--out",
        env.tmp / "out",
        "--workers",
        "2",
        "--no-progress",
        *FACE_OPTIONS,
    ]
    # Ctrl-C as soon as the fork server exists: it is importing the library the workers need
    run = sdr_subprocess(*argv, wait_for=lambda _, group: forked_workers(group) >= 1, signum=signal.SIGINT)
    check_ending(run, 130, r"^sdr prepare: interrupted; ")
    assert no_temporary_files(env.tmp / "out") == []


@case
def case_prepare_sigterm_to_workers_then_resume(env: Env) -> None:
    source = (env.media.faces or {}).get("face", env.media.noise)
    root = env.folder("raw", {f"real/v{i:02d}.mp4": source for i in range(40)})
    out = env.tmp / "out"
    progress = out / "progress" / "all.jsonl"
    argv = [
        "prepare",
        "folder",
        "--root",
        root,
        "--out",
        out,
        "--workers",
        "2",
        "--no-progress",
        *FACE_OPTIONS,
    ]
    argv += ["--set", "clip_len=8", "--set", "detect_every=1"]
    run = sdr_subprocess(*argv, wait_for=lambda *_: count_lines(progress) >= 1, signum=signal.SIGTERM)
    check_ending(run, 143, r"^sdr prepare: terminated \(SIGTERM\); ")
    assert no_temporary_files(out) == []
    done = count_lines(progress)
    assert 1 <= done < 40
    again = env.prepare(root, out, "--set", "clip_len=8", "--set", "detect_every=1")
    check_ending(again, 0 if env.media.faces else 3)
    assert f"40 videos: {40 - done} processed, {done} already done" in again.out
    if env.media.faces is not None:  # every track once, none left over from the stopped run
        listed = set(pd.read_csv(out / "manifest.csv")["path"])
        assert len(listed) == 40 and {p.relative_to(out).as_posix() for p in out.rglob("*.t*.mp4")} == listed


# ---- sdr evaluate -----------------------------------------------------------------------------


def _npy_dataset(root: Path) -> Path:
    rows = []
    for label in (0, 1):
        path = root / "tracks" / f"v{label}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.full((8, 16, 16, 3), 100 + 50 * label, np.uint8))
        rows.append(
            {
                "path": f"tracks/v{label}.npy",
                "label": label,
                "video_id": f"v{label}",
                "split": "test",
                "domain": "d",
                "frames": 8,
            }
        )
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    return root


@case
def case_evaluate_damaged_checkpoint(env: Env) -> None:
    data = _npy_dataset(env.tmp / "data")
    damaged = _damaged_checkpoint(env, lambda f: (f / "best.safetensors").write_bytes(b"\x00" * 20))
    run = env.sdr("evaluate", "--checkpoint", damaged, "--data", data, "--device", "cpu", "--no-progress")
    check_ending(run, 2, r"best\.safetensors: damaged weights file")


@case
def case_evaluate_truncated_npy_track(env: Env) -> None:
    data = _npy_dataset(env.tmp / "data")
    track = data / "tracks" / "v1.npy"
    track.write_bytes(track.read_bytes()[:1000])
    run = env.sdr(
        "evaluate", "--checkpoint", env.checkpoint, "--data", data, "--device", "cpu", "--no-progress"
    )
    check_ending(run, 2, r"v1\.npy: damaged \.npy track \(1000 bytes, truncated")


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, media, checkpoint, tmp_path, capsys, caplog) -> None:
    caplog.set_level("WARNING")
    CASES[name](Env(media, checkpoint, tmp_path, capsys, caplog))
    assert no_temporary_files(tmp_path) == []


def test_exit_codes_are_the_same_in_help_and_docs() -> None:
    from sdrlib.cli import EXIT_CODES, build_parser

    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    assert dict(re.findall(r"^\| (\d+) \| (.+) \|$", docs, re.M)) == {str(c): m for c, m in EXIT_CODES}
    shown = " ".join(build_parser().format_help().split())
    assert all(f"{code} {meaning}" in shown for code, meaning in EXIT_CODES)
