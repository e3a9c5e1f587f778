"""Your own videos: faces -> aligned clips -> clip probabilities -> a verdict, and its figures.

:func:`predict_video` scores a raw video with a checkpoint (``sdr predict``), with face crops made
as the checkpoint's training data was prepared (:func:`prediction_face_config`); :mod:`.plots` draws
the score timeline and the frame-by-frame views of the chapter 'your own video'. Built on the
engine's scoring (:mod:`sdrlib.engine.inference`) and the face pipeline (:mod:`sdrlib.data.faces`).
"""

from sdrlib.predict.faces import prediction_face_config
from sdrlib.predict.scoring import TrackPrediction, VideoPrediction, predict_video, score_track

__all__ = ["TrackPrediction", "VideoPrediction", "predict_video", "prediction_face_config", "score_track"]
