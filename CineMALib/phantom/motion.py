"""Cardiac-cycle timing: the normalised volume curve s(t) (1 at end diastole, 0 at end systole).

Phases follow a normal Wiggers cycle: cosine ejection to ES, rapid filling, slow diastasis, atrial kick back to ED.
All moving parts (LV volume, base descent, RV) are driven by s(t), so ED is frame 0 and ES is near ``es_fraction``.
"""

from __future__ import annotations

import numpy as np

from CineMALib.phantom.params import HeartParams


def _ease(x: np.ndarray) -> np.ndarray:
    """Half-cosine ramp 0 -> 1 on [0, 1] (zero slope at both ends)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def volume_curve(phase: np.ndarray, heart: HeartParams) -> np.ndarray:
    """s(t) for cycle fractions ``phase`` in [0, 1): 1 at ED (phase 0), 0 at ES (phase ``es_fraction``)."""
    phase = np.mod(np.asarray(phase, dtype=float), 1.0)
    es, fill, dia = heart.es_fraction, heart.filling_end, heart.diastasis_end
    s_fill = heart.s_before_kick - 0.06  # most filling is rapid; diastasis adds the last few per cent
    s = np.empty_like(phase)
    sys = phase <= es
    s[sys] = 1.0 - _ease(phase[sys] / es)
    rapid = (phase > es) & (phase <= fill)
    s[rapid] = s_fill * _ease((phase[rapid] - es) / (fill - es))
    slow = (phase > fill) & (phase <= dia)
    s[slow] = s_fill + (heart.s_before_kick - s_fill) * (phase[slow] - fill) / (dia - fill)
    kick = phase > dia
    s[kick] = heart.s_before_kick + (1.0 - heart.s_before_kick) * _ease((phase[kick] - dia) / (1.0 - dia))
    return s


def frame_phases(n_frames: int) -> np.ndarray:
    """Cycle fraction of each frame (frame k at k / n: ECG-triggered, frame 0 = R wave = ED)."""
    return np.arange(n_frames, dtype=float) / float(n_frames)


def trigger_times_ms(n_frames: int, heart_rate_bpm: float) -> np.ndarray:
    """TriggerTime of each frame: t * RR / n."""
    return frame_phases(n_frames) * 60000.0 / heart_rate_bpm


def is_systole(phase: np.ndarray, heart: HeartParams) -> np.ndarray:
    """True while the ventricles eject (mitral and tricuspid valves closed)."""
    phase = np.mod(np.asarray(phase, dtype=float), 1.0)
    return (phase > 0.0) & (phase < heart.es_fraction)
