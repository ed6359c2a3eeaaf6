"""Random but plausible phantom parameters, drawn deterministically from (seed, pathology).

Two independent random streams: the *subject* stream (body, pose, imaging, noise) depends on the seed only, so the
same seed with another pathology is the same "patient" scanned the same way; the *heart* stream depends on
(seed, pathology) and sets the ventricles' size, function and wall thickness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATHOLOGIES: tuple[str, ...] = ("normal", "dcm", "hcm")


@dataclass(frozen=True)
class SubjectParams:
    """Patient facts written to the study metadata and DICOM headers."""

    sex: str
    height_cm: float
    weight_kg: float
    heart_rate_bpm: float

    @property
    def bsa_m2(self) -> float:
        """Mosteller body-surface area, used to scale the heart to the body."""
        return float(np.sqrt(self.height_cm * self.weight_kg / 3600.0))


@dataclass(frozen=True)
class HeartParams:
    """Ventricular size, shape and function targets (continuous truth follows from these)."""

    lv_edv_ml: float
    lv_ef: float  # fraction
    wall_ed_mm: float  # LV wall thickness at ED (mid-cavity)
    apex_wall_ratio: float  # apical / mid wall thickness
    cavity_length_ed_mm: float  # endocardial apex to mitral plane at ED
    kappa: float  # truncation height / long semi-axis (mitral plane above the ellipsoid equator)
    ellipticity: float  # LV semi-axis y / x
    mapse_mm: float  # longitudinal base descent ED -> ES
    tapse_mm: float  # longitudinal tricuspid-plane descent ED -> ES
    rv_ef: float  # target RV (crescent) ejection fraction at the ES frame
    rv_width: float  # RV crescent width beyond the LV epicardium at ED / (1.3 x LV cavity radius)
    rv_horn_deg: float  # where the RV rim meets the LV epicardium, degrees from the septal mid-point
    rv_centre: float  # RV ellipsoid centre towards the RV, fraction of the LV epicardial radius
    tv_offset_mm: float  # tricuspid plane below the mitral plane at ED
    rv_wall_mm: float
    fat_mm: float  # epicardial fat layer
    es_fraction: float  # end systole as a fraction of the RR interval
    filling_end: float  # end of rapid filling (fraction of RR)
    diastasis_end: float  # start of the atrial kick (fraction of RR)
    s_before_kick: float  # relative volume (0 = ES, 1 = ED) reached before the atrial kick


@dataclass(frozen=True)
class PoseParams:
    """Heart placement in the body: long axis (apex -> base), rotation about it, LV centre (RAS mm)."""

    long_axis: np.ndarray
    roll_deg: float
    lv_centre: np.ndarray


@dataclass(frozen=True)
class ImagingParams:
    """Acquisition geometry and image appearance."""

    sax_spacing: tuple[float, float]
    sax_matrix: tuple[int, int]
    sax_tilt_deg: float  # SAX normal vs the true long axis
    sax_tilt_azimuth_deg: float
    sax_inplane_deg: float
    sax_margin_mm: tuple[float, float]  # extra coverage below the apex, above the base
    sax_offset_mm: tuple[float, float]
    lax_spacing: float
    lax_matrix: tuple[int, int]
    lax_angles_deg: dict[str, float]  # in-plane direction of each LAX plane about the long axis
    lax_offset_mm: tuple[float, float]
    lax_inplane_deg: float  # rotation of the LAX image axes within the plane (apex up, tilted)
    noise_sigma: float  # Rician sigma, fraction of the LV blood signal
    blur_px: float  # in-plane Gaussian point-spread (pixels)
    signal_scale: float  # LV blood grey value
    coil_gradient: np.ndarray  # RAS direction of the coil shading
    coil_strength: float  # fractional shading across 200 mm
    contrast: dict[str, float]  # tissue -> relative intensity


def subject_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), 7101]))


def heart_rng(seed: int, pathology: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), 7102, PATHOLOGIES.index(pathology)]))


def draw_subject(rng: np.random.Generator, pathology: str) -> SubjectParams:
    """Sex, height, weight; heart rate is faster in dilated cardiomyopathy."""
    sex = "M" if rng.random() < 0.5 else "F"
    height = rng.normal(177.0, 7.0) if sex == "M" else rng.normal(164.0, 6.5)
    bmi = rng.uniform(20.0, 30.0)
    weight = bmi * (height / 100.0) ** 2
    hr_lo, hr_hi = (72.0, 95.0) if pathology == "dcm" else (55.0, 82.0)
    return SubjectParams(sex=sex, height_cm=round(float(np.clip(height, 150, 198)), 1),
                         weight_kg=round(float(weight), 1), heart_rate_bpm=round(float(rng.uniform(hr_lo, hr_hi)), 1))


# Per pathology: (EDV index mL/m2, EF, wall mm, MAPSE mm, TAPSE mm, RV EF, length factor)
_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "normal": {"edvi": (66.0, 84.0), "ef": (0.55, 0.65), "wall": (7.5, 10.0), "mapse": (12.0, 16.0),
               "tapse": (16.0, 21.0), "rv_ef": (0.50, 0.62), "length": (0.97, 1.05)},
    "dcm": {"edvi": (118.0, 150.0), "ef": (0.25, 0.35), "wall": (6.0, 7.5), "mapse": (5.0, 8.0),
            "tapse": (9.0, 13.0), "rv_ef": (0.30, 0.45), "length": (0.86, 0.94)},
    "hcm": {"edvi": (52.0, 66.0), "ef": (0.67, 0.76), "wall": (15.0, 21.0), "mapse": (5.0, 8.0),
            "tapse": (14.0, 19.0), "rv_ef": (0.55, 0.68), "length": (1.0, 1.08)},
}


def draw_heart(rng: np.random.Generator, pathology: str, subject: SubjectParams) -> HeartParams:
    """Ventricular targets scaled by body size; men's hearts a little larger (EDV index +8 %)."""
    r = _RANGES[pathology]
    u = lambda key: float(rng.uniform(*r[key]))  # noqa: E731 - a short local draw helper
    edv = u("edvi") * subject.bsa_m2 * (1.04 if subject.sex == "M" else 0.96)
    length = 86.0 * (edv / 150.0) ** (1.0 / 3.0) * u("length")
    es_fraction = float(rng.uniform(0.33, 0.38))
    filling_end = es_fraction + float(rng.uniform(0.30, 0.38))
    return HeartParams(
        lv_edv_ml=edv, lv_ef=u("ef"), wall_ed_mm=u("wall") * (1.0 if subject.sex == "M" else 0.92),
        apex_wall_ratio=float(rng.uniform(0.65, 0.85)), cavity_length_ed_mm=length,
        kappa=float(rng.uniform(0.30, 0.45)), ellipticity=float(rng.uniform(0.9, 1.1)),
        mapse_mm=u("mapse"), tapse_mm=u("tapse"), rv_ef=u("rv_ef"),
        rv_width=float(rng.uniform(1.2, 1.5)), rv_horn_deg=float(rng.uniform(65.0, 85.0)),
        rv_centre=float(rng.uniform(0.05, 0.25)),
        tv_offset_mm=float(rng.uniform(4.0, 9.0)), rv_wall_mm=float(rng.uniform(2.5, 4.0)),
        fat_mm=float(rng.uniform(0.5, 4.0)), es_fraction=es_fraction, filling_end=min(filling_end, 0.78),
        diastasis_end=float(rng.uniform(0.82, 0.88)), s_before_kick=float(rng.uniform(0.72, 0.85)),
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def draw_pose(rng: np.random.Generator) -> PoseParams:
    """Long axis points from the apex (left, anterior, inferior) to the base (right, posterior, superior)."""
    nominal = _unit(np.array([0.62, -0.50, 0.60]))
    axis = _unit(nominal + rng.normal(0.0, 0.12, 3))
    centre = np.array([-32.0, 22.0, 0.0]) + rng.normal(0.0, 6.0, 3)
    return PoseParams(long_axis=axis, roll_deg=float(rng.uniform(-15.0, 15.0)), lv_centre=centre)


_CONTRAST = {"lv_blood": 1.0, "rv_blood": 0.95, "atrial_blood": 0.93, "myocardium": 0.28, "wall": 0.30,
             "fat": 0.82, "tissue": 0.36, "muscle": 0.30, "lung": 0.05, "liver": 0.42, "bone": 0.50,
             "vessel": 0.88, "air": 0.0}


def draw_imaging(rng: np.random.Generator) -> ImagingParams:
    """Typical clinical bSSFP cine geometry (in-plane ~1.6 mm, 8 mm slices, 10 mm pitch) with per-seed jitter."""
    dx = float(rng.uniform(1.45, 1.75))
    dy = dx * float(rng.choice([1.0, 1.0, 1.05]))  # occasionally non-square pixels (exercises row/column order)
    nx = int(rng.choice([160, 176, 192]))
    ny = int(nx - rng.choice([0, 16, 24]))
    contrast = {k: (v if k in ("lv_blood", "air") else v * float(rng.uniform(0.88, 1.12)))
                for k, v in _CONTRAST.items()}
    return ImagingParams(
        sax_spacing=(dx, dy), sax_matrix=(nx, ny), sax_tilt_deg=float(rng.uniform(0.0, 10.0)),
        sax_tilt_azimuth_deg=float(rng.uniform(0.0, 360.0)), sax_inplane_deg=float(rng.uniform(-25.0, 25.0)),
        sax_margin_mm=(float(rng.uniform(3.0, 10.0)), float(rng.uniform(3.0, 10.0))),
        sax_offset_mm=(float(rng.uniform(-12.0, 12.0)), float(rng.uniform(-12.0, 12.0))),
        lax_spacing=float(rng.uniform(1.45, 1.75)), lax_matrix=(int(rng.choice([192, 208, 224])),
                                                                int(rng.choice([192, 208, 224]))),
        lax_angles_deg={"lax_4c": float(rng.uniform(-10.0, 10.0)), "lax_2c": float(rng.uniform(-100.0, -80.0)),
                        "lax_3c": float(rng.uniform(-145.0, -125.0))},
        lax_offset_mm=(float(rng.uniform(-10.0, 10.0)), float(rng.uniform(-10.0, 10.0))),
        lax_inplane_deg=float(rng.uniform(-15.0, 15.0)),
        noise_sigma=float(rng.uniform(0.015, 0.05)), blur_px=float(rng.uniform(0.4, 0.8)),
        signal_scale=float(rng.uniform(900.0, 1800.0)), coil_gradient=_unit(rng.normal(0.0, 1.0, 3)),
        coil_strength=float(rng.uniform(0.1, 0.3)), contrast=contrast,
    )
