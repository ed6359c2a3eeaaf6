"""Ventricular function from the volume curves: EDV, ESV, SV, EF for LV and RV, LV mass, heart rate, cardiac output.

Formulas (clinical-measurements.md §3.1): SV = EDV - ESV; EF = SV / EDV x 100; LV mass = ED myocardial volume x
1.05 g/mL (myocardial density; SCMR, ukbb_cardiac ``LVM (g)``); CO = LVSV x HR / 1000.
"""

from __future__ import annotations

import math

import numpy as np

from CineMALib.phases import Phases
from CineMALib.measure.report import Measurement
from CineMALib.measure.volumes import StackGeometry

MYOCARDIAL_DENSITY_G_PER_ML = 1.05


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def ventricle_rows(prefix: str, curve: np.ndarray, phases: Phases, volume_method: str) -> list[Measurement]:
    """EDV, ESV, SV, EF of one ventricle (``LV`` or ``RV``) at the LV-defined ED/ES frames."""
    edv, esv = float(curve[phases.ed]), float(curve[phases.es])
    sv = edv - esv
    ed_ph, es_ph, both = (phases.ed,), (phases.es,), (phases.ed, phases.es)
    ef = 100.0 * sv / edv if edv > 0 else float("nan")
    ef_method = f"{prefix}SV / {prefix}EDV x 100" if edv > 0 else f"n/a: {prefix}EDV is zero"
    at = "" if prefix == "LV" else "LV-defined "
    ed_text = f"{volume_method}; {at}ED frame {phases.ed} = {phases.ed_method}"
    es_text = f"{volume_method}; {at}ES frame {phases.es} = {phases.es_method}"
    return [
        Measurement(f"{prefix}EDV", _finite(edv), "mL", ed_text, "ED", ed_ph),
        Measurement(f"{prefix}ESV", _finite(esv), "mL", es_text, "ES", es_ph),
        Measurement(f"{prefix}SV", _finite(sv), "mL", f"{prefix}EDV - {prefix}ESV", "ED-ES", both),
        Measurement(f"{prefix}EF", _finite(ef), "%", ef_method, "ED-ES", both),
    ]


def lv_mass_row(myo_curve: np.ndarray, phases: Phases, volume_method: str) -> Measurement:
    """LV mass at ED: myocardial volume x 1.05 g/mL (papillary muscles count as whatever the labels say)."""
    myo_ml = float(myo_curve[phases.ed])
    return Measurement("LVM", _finite(myo_ml * MYOCARDIAL_DENSITY_G_PER_ML), "g",
                       f"ED myocardium {myo_ml:.2f} mL x {MYOCARDIAL_DENSITY_G_PER_ML} g/mL; myocardial volume by "
                       f"{volume_method}; ED frame {phases.ed} = {phases.ed_method}", "ED", (phases.ed,))


def heart_rate(hr_bpm: float | None, trigger_times_ms: np.ndarray | None, n_frames: int) -> tuple[float | None, str]:
    """Heart rate (bpm) and how it was obtained: metadata first, else 60000 / (n_frames x frame interval ms).

    The trigger-time route assumes the cine spans exactly one R-R interval with equally spaced frames
    (retrospective gating), as ukbb_cardiac does (HR = 60 / (n_frames x frame interval s)).
    """
    if hr_bpm is not None and math.isfinite(hr_bpm) and hr_bpm > 0:
        return float(hr_bpm), "heart rate from the study metadata"
    if trigger_times_ms is not None:
        times = np.asarray(trigger_times_ms, dtype=float)
        steps = np.diff(times[np.isfinite(times)])
        if steps.size and np.median(steps) > 0:
            interval = float(np.median(steps))
            hr = 60000.0 / (n_frames * interval)
            return hr, (f"HR = 60000 / ({n_frames} frames x {interval:.2f} ms median trigger interval) = {hr:.1f} bpm; "
                        "no recorded heart rate, assumes the cine spans one R-R interval")
    return None, "n/a: neither a heart rate nor trigger times are known"


def output_rows(lvsv_ml: float | None, hr: float | None, hr_method: str, phases: Phases) -> list[Measurement]:
    """Heart rate and LV cardiac output (L/min) = LVSV (mL) x HR (bpm) / 1000."""
    both = (phases.ed, phases.es)
    hr_row = Measurement("HR", hr, "bpm", hr_method)
    if hr is None or lvsv_ml is None:
        return [hr_row, Measurement("LVCO", None, "L/min", f"n/a: {'LVSV' if lvsv_ml is None else 'heart rate'} "
                                                           "unknown", "ED-ES", both)]
    return [hr_row, Measurement("LVCO", lvsv_ml * hr / 1000.0, "L/min",
                                f"LVSV {lvsv_ml:.2f} mL x HR {hr:.1f} bpm / 1000; {hr_method}", "ED-ES", both)]


def volume_method(geometry: StackGeometry, label_note: str) -> str:
    """The sentence every volume carries: disc summation with the actual pixel size and pitch, and the label map."""
    text = f"disc summation: {geometry.describe()}; {label_note}"
    return f"{text}; {geometry.shear_note}" if geometry.shear_note else text
