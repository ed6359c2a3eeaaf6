"""What an analysis should do: weights, per-head dataset, seeds, device, speed. Validated once, up front.

Why a dataclass of its own: the CLI, the Slicer module and the benchmarks all build one, and a bad choice (unknown
dataset, missing weights folder) must fail before minutes of inference, with a message the user can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from CineMALib.errors import CineMAError
from CineMALib.infer import DEVICE_CHOICES

#: Heads the pipeline can run, in the order it runs them.
HEADS: tuple[str, ...] = ("segmentation_sax", "segmentation_lax_4c", "landmarks", "classification_cvd", "regression_ef")
#: Training data sets each head's released checkpoints exist for (hub folder ``<data>_<view>``); first = default.
DATASET_CHOICES: dict[str, tuple[str, ...]] = {
    "segmentation_sax": ("acdc", "mnms", "mnms2"),
    "segmentation_lax_4c": ("mnms2",),
    "landmarks": ("",),  # landmark folders carry no data set
    "classification_cvd": ("acdc", "mnms", "mnms2"),
    "regression_ef": ("acdc", "mnms", "mnms2"),
}
#: The demo weights were trained on phantoms; their folders use the data-set name ``phantom``.
DEMO_DATASET = "phantom"
WEIGHT_SOURCES: tuple[str, ...] = ("official", "demo")
ENSEMBLE_SEEDS: tuple[int, ...] = (0, 1, 2)
_HEAD_TASK_FOLDER: dict[str, str] = {"segmentation_sax": "segmentation", "segmentation_lax_4c": "segmentation",
                                     "landmarks": "landmark_heatmap", "classification_cvd": "classification_cvd",
                                     "regression_ef": "regression_ef"}


def _phantom_trained(folder: Path) -> bool:
    """A local weights folder holds demo (phantom-trained) checkpoints: it is the bundled demo folder, or one of its
    task folders is named after the demo data set (``finetuned/<task>/phantom_<view>``)."""
    from CineMALib.resources import resource_path

    try:
        if folder.resolve() == resource_path("demo").resolve():
            return True
    except OSError:
        pass
    return any((folder / "finetuned").glob(f"*/{DEMO_DATASET}_*"))


class OptionsError(CineMAError, ValueError):
    """An analysis option is invalid; the message names the option and the allowed values."""


@dataclass(frozen=True)
class AnalysisOptions:
    """Choices for :func:`~CineMALib.analysis.pipeline.analyse_study`.

    ``weights``: ``"official"`` (hub cache), ``"demo"`` (``Resources/demo``) or a folder in the hub layout.
    ``datasets``: head -> training data set (defaults per head; ``"phantom"`` for demo weights).
    ``seed`` or ``ensemble`` (seeds 0-2: mean probabilities, spread reported). ``fast``: segment ED and ES only.
    ``basal_check`` (off by default; ``cinema analyse --end-slice-checks``, on in ``cinema demo``): the end-slice
    heuristics, tuned on phantoms for the demo models and never measured on real labelled SAX+LAX studies: remove
    small label islands, check the SAX end slices against the long-axis views (re-threshold those that grossly
    disagree with the LAX-4C segmentation, clear those whose structure it does not show), then raise the LV over the
    mitral orifice just below and cut it beyond the annulus that the 2C/4C landmarks give. Every change is recorded
    in the provenance.
    ``percentile_clip``: give every model input frame the released models' training-data intensity step first (clip
    to its 0.95th..99.5th percentiles, rescale, uint8 levels; see :mod:`CineMALib.preprocess.intensity`); ``None``
    decides from the weights (:attr:`clips_percentiles`).
    ``lv_center``: a user-given LV centre (R, A, S world mm) for the SAX model window; the automatic search, its
    verification and the gate's retries are then skipped (the Slicer module passes its LV-centre markup point here).
    ``ed_frame``/``es_frame``: user-given 0-based SAX frames for ED/ES (None: largest/smallest LV volume, see
    :func:`~CineMALib.phases.decide_ed_es`); in fast mode the given frames are the ones segmented.
    """

    weights: str = "official"
    datasets: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    ensemble: bool = False
    device: str = "auto"
    fast: bool = False
    batch_size: int = 4
    heads: tuple[str, ...] = HEADS
    basal_check: bool = False
    percentile_clip: bool | None = None
    lv_center: tuple[float, float, float] | None = None
    ed_frame: int | None = None
    es_frame: int | None = None

    def __post_init__(self) -> None:
        for flag, frame in (("ed_frame", self.ed_frame), ("es_frame", self.es_frame)):
            if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
                raise OptionsError(f"{flag} {frame!r}: must be a 0-based frame index (0, 1, ...) or None (automatic)")
        if self.ed_frame is not None and self.ed_frame == self.es_frame:
            raise OptionsError(f"ed_frame and es_frame are both {self.ed_frame}: ED and ES must be different frames")
        if self.lv_center is not None:
            try:
                centre = tuple(float(v) for v in self.lv_center)
            except (TypeError, ValueError):
                centre = ()
            if len(centre) != 3 or not all(math.isfinite(v) for v in centre):
                raise OptionsError(f"lv_center {self.lv_center!r}: expected three finite numbers R, A, S (world mm)")
            object.__setattr__(self, "lv_center", centre)
        if self.weights not in WEIGHT_SOURCES and not Path(self.weights).is_dir():
            raise OptionsError(f"weights {self.weights!r}: use 'official', 'demo' or an existing folder in the "
                               "hub layout (finetuned/<task>/...)")
        if self.device.lower() not in DEVICE_CHOICES and not self.device.lower().startswith("cuda:"):
            raise OptionsError(f"device {self.device!r}: choose one of {', '.join(DEVICE_CHOICES)}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise OptionsError(f"seed {self.seed!r}: must be a non-negative integer (released seeds are 0, 1, 2)")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise OptionsError(f"batch size {self.batch_size!r}: must be a positive integer")
        unknown = [h for h in self.heads if h not in HEADS]
        if unknown or not self.heads:
            raise OptionsError(f"heads {unknown or '[]'}: choose from {', '.join(HEADS)}")
        for head, data in self.datasets.items():
            if head not in HEADS:
                raise OptionsError(f"dataset given for unknown head {head!r}; heads are {', '.join(HEADS)}")
            allowed = self._allowed(head)
            if data not in allowed:
                raise OptionsError(f"dataset {data!r} for {head}: choose one of {', '.join(allowed) or '(none)'}")

    def _allowed(self, head: str) -> tuple[str, ...]:
        if head == "landmarks":
            return ("",)
        if self.weights == "demo":
            return (DEMO_DATASET,)
        if self.weights == "official":
            return DATASET_CHOICES[head]
        return (*DATASET_CHOICES[head], DEMO_DATASET)  # a local folder may hold either

    def dataset(self, head: str) -> str:
        """The training data set whose checkpoint runs ``head``."""
        if head in self.datasets:
            return self.datasets[head]
        allowed = self._allowed(head)
        folder = self.weights_dir
        if folder is not None and self.weights != "demo":  # a local folder: the first data set it holds
            task = _HEAD_TASK_FOLDER[head]
            for data in allowed:
                if any((folder / "finetuned" / task).glob(f"{data}_*/config.yaml")):
                    return data
        return allowed[0]

    @property
    def clips_percentiles(self) -> bool:
        """Whether model inputs get the training-data percentile clip: as given, else on for the released weights
        (their fine-tuning data were prepared that way, ``docs/cinema-model.md`` section 4.2) and off for weights
        trained on phantoms (the demo models saw per-frame min-max scaling only, see
        ``scripts/demo_training_data.py``; a local folder counts as phantom-trained when it is the bundled demo
        folder or holds ``phantom_*`` checkpoints)."""
        if self.percentile_clip is not None:
            return bool(self.percentile_clip)
        if self.weights == "official":
            return True
        if self.weights == "demo":
            return False
        return not _phantom_trained(Path(self.weights))

    @property
    def seeds(self) -> tuple[int, ...]:
        """Seeds to run: all three released seeds for an ensemble, else the chosen one."""
        return ENSEMBLE_SEEDS if self.ensemble else (self.seed,)

    @property
    def weights_dir(self) -> Path | None:
        """Local weights folder, or ``None`` for the official hub cache."""
        if self.weights == "official":
            return None
        if self.weights == "demo":
            from CineMALib.resources import resource_path

            return resource_path("demo")
        return Path(self.weights)
