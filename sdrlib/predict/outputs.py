"""Writing ``sdr predict``'s results as each video is scored, so that nothing computed is lost.

A batch of videos can run for hours; a full disk, a Ctrl-C or a scheduler's SIGTERM must not throw
away the scores already computed. :class:`PredictionWriter` writes each video's ``<name>.json``
(and ``<name>.png``) atomically as soon as it is scored, and appends its rows to
``predictions.csv`` at once (flushed and synced; a row that cannot be written whole is cut off
again, so the table always ends with a complete row).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sdrlib.data.video.errors import OutputError
from sdrlib.predict.scoring import VideoPrediction
from sdrlib.utils.io import append_durably, atomic_open, atomic_write_json

TABLE_NAME = "predictions.csv"
COLUMNS = (
    "video",
    "track",
    "prob",
    "verdict",
    "threshold",
    "threshold_source",
    "n_clips",
    "n_frames",
    "runtime_s",
    "error",
)


def _reason(err: OSError) -> str:
    return " ".join(str(err.strerror or err).split())


def prediction_rows(video: Path, prediction: VideoPrediction, source: str = "") -> list[dict[str, Any]]:
    """One ``predictions.csv`` row per scored track (integers stay integers); ``source`` says where
    the decision threshold came from (validation, a calibration, ``--threshold`` or none)."""
    return [
        {
            "video": str(video),
            "track": int(track.track_id),
            "prob": track.prob,
            "verdict": track.verdict,
            "threshold": "" if track.threshold is None else track.threshold,
            "threshold_source": source,
            "n_clips": int(track.n_clips),
            "n_frames": int(track.n_frames),
            "runtime_s": round(prediction.runtime_s, 3),
            "error": "",
        }
        for track in prediction.tracks
    ]


def error_row(video: Path, err: BaseException) -> dict[str, Any]:
    """The ``predictions.csv`` row of a video that could not be scored."""
    message = " ".join(str(err).split())
    return {**dict.fromkeys(COLUMNS, ""), "video": str(video), "verdict": "error", "error": message}


class PredictionWriter:
    """Results of ``sdr predict`` in the folder ``out``, written as they come.

    Args:
        out: the output folder (created; an existing file there is refused).
        names: the stem of each video's ``.json``/``.png``, by video path.
        plot: also save the timeline figure of each video.

    Raises:
        NotADirectoryError: ``out`` exists and is not a folder.
        OutputError: a file cannot be written (disk full, no permission); nothing half-written stays.
    """

    def __init__(self, out: Path, names: dict[Path, str], plot: bool = False) -> None:
        self.out, self.names, self.plot = Path(out), names, plot
        if self.out.exists() and not self.out.is_dir():
            raise NotADirectoryError(f"--out {self.out} is a file; give a folder for the results")
        self.table = self.out / TABLE_NAME
        self.written = 0
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._remove_stale_temporaries()
            with atomic_open(self.table, "w") as handle:
                csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n").writeheader()
        except OSError as err:
            raise OutputError(f"{self.table}: cannot write ({_reason(err)})") from err

    def _remove_stale_temporaries(self) -> None:
        """Temporary files of a run killed outright (SIGKILL) that no cleanup could remove."""
        for pattern in (".*.json.*.tmp", ".*.png.*.tmp", f".{TABLE_NAME}.*.tmp"):
            for path in self.out.glob(pattern):
                path.unlink(missing_ok=True)

    def _append(self, rows: list[dict[str, Any]]) -> None:
        text = io.StringIO()
        csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n").writerows(rows)
        try:
            append_durably(self.table, text.getvalue().encode("utf-8"))
        except OSError as err:
            raise OutputError(f"{self.table}: cannot write ({_reason(err)})") from err

    def add(self, video: Path, prediction: VideoPrediction, source: str = "") -> Path:
        """Write the JSON (and figure) of a scored video and append its rows; return the JSON path."""
        stem = self.names[video]
        path = self.out / f"{stem}.json"
        try:
            atomic_write_json(path, prediction.to_json())
            if self.plot:
                # imported here, not at the top: `sdr predict` loads matplotlib only with --plot
                import matplotlib.pyplot as plt

                from sdrlib.predict.plots import plot_timeline

                fig = plot_timeline(prediction)
                try:
                    with atomic_open(self.out / f"{stem}.png", "wb") as handle:
                        fig.savefig(handle, format="png", dpi=120)
                finally:
                    plt.close(fig)
        except OSError as err:
            raise OutputError(f"{path.parent / stem}: cannot write the result ({_reason(err)})") from err
        self._append(prediction_rows(video, prediction, source))
        self.written += 1
        return path

    def add_error(self, video: Path, err: BaseException) -> None:
        """Append the row of a video that could not be scored."""
        self._append([error_row(video, err)])
