"""Error types for real videos and faces, so that every layer can map a bad file to one message.

Everything a user's input can get wrong derives from :class:`InputError` (itself a ``ValueError``),
and each message is one line that names the file and says what is wrong. The CLI layers catch
``InputError`` (and its subclasses, to choose an exit status) and print the message; the dataset
adapters record it per file and go on. A destination that cannot be written is not an input error:
it raises :class:`OutputError` (an ``OSError``), after the atomic writers have removed their
temporary file, so nothing half-written is left behind.
"""

from __future__ import annotations


class InputError(ValueError):
    """A video (or its content) that cannot be used; the message is one line naming the file."""


class VideoError(InputError):
    """Not a video, an unreadable path, a corrupt or truncated file, or a video with no frames."""


class NoFaceError(InputError):
    """A readable video in which no face track was found."""


class FaceTooSmallError(NoFaceError):
    """Faces were found, but every track is smaller than the configured ``min_face_size``."""


class OutputError(OSError):
    """A result could not be written (disk full, no permission); nothing was left half-written."""


__all__ = ["FaceTooSmallError", "InputError", "NoFaceError", "OutputError", "VideoError"]
