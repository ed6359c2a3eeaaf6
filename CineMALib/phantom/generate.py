"""Assemble one synthetic cine study: parameters -> anatomy -> planes -> images, labels, landmarks, truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from CineMALib.phantom.anatomy import HeartFrame, HeartShapes, build_shapes, heart_hull_points, make_heart_frame
from CineMALib.phantom.geometry import LAX_VIEWS, PlaneStack, plan_lax, plan_sax
from CineMALib.phantom.landmarks import world_landmarks
from CineMALib.phantom.motion import frame_phases, is_systole, trigger_times_ms, volume_curve
from CineMALib.phantom.params import (PATHOLOGIES, draw_heart, draw_imaging, draw_pose, draw_subject, heart_rng,
                                      subject_rng)
from CineMALib.phantom.render import render_view
from CineMALib.phantom.truth import CONVENTIONS, continuous_truth, discretised_truth
from CineMALib.study import CineStudy, CineView, StudyMetadata

SAX_SUBPLANES = 5
LAX_SUBPLANES = 3
VIEW_ORDER: tuple[str, ...] = ("sax",) + LAX_VIEWS


@dataclass
class Phantom:
    """A synthetic study with its truth: labels and landmarks live on each view's own grid / in RAS mm."""

    study: CineStudy
    labels: dict[str, np.ndarray]
    landmarks_world: dict[str, dict[str, np.ndarray]]
    truth: dict[str, Any]
    seed: int
    pathology: str
    stacks: dict[str, PlaneStack] = field(default_factory=dict)
    heart_frame: HeartFrame | None = None
    shapes: HeartShapes | None = None


def _torso(rng: np.random.Generator, bmi: float, apex: np.ndarray) -> dict[str, float]:
    """Body cross-section (elliptic cylinder around the world S-I axis) scaled with BMI; diaphragm under the apex."""
    return {"bx": 150.0 + 3.0 * (bmi - 20.0) + float(rng.uniform(-8, 8)),
            "by": 104.0 + 2.5 * (bmi - 20.0) + float(rng.uniform(-6, 6)),
            "fat": 6.0 + 1.5 * (bmi - 20.0), "diaphragm_z": float(apex[2]) - float(rng.uniform(4.0, 12.0)),
            "apex_x": float(apex[0]), "apex_y": float(apex[1])}


def _check_args(seed: int, pathology: str, n_frames: int) -> None:
    if pathology not in PATHOLOGIES:
        raise ValueError(f"unknown pathology {pathology!r}; choose one of {PATHOLOGIES}")
    if not 4 <= int(n_frames) <= 100:
        raise ValueError(f"n_frames must be between 4 and 100, got {n_frames}")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")


def generate_phantom(seed: int, pathology: str = "normal", n_frames: int = 25) -> Phantom:
    """A deterministic synthetic cine CMR study (SAX stack + 2C/3C/4C) for ``seed`` and ``pathology``."""
    _check_args(seed, pathology, n_frames)
    srng = subject_rng(seed)
    subject = draw_subject(srng, pathology)
    pose = draw_pose(srng)
    imaging = draw_imaging(srng)
    heart = draw_heart(heart_rng(seed, pathology), pathology, subject)
    phases = frame_phases(n_frames)
    shapes = build_shapes(heart, volume_curve(phases, heart), is_systole(phases, heart))
    frame = make_heart_frame(pose, origin_offset_mm=0.5 * heart.cavity_length_ed_mm)
    hull = frame.to_world(heart_hull_points(shapes))
    bmi = subject.weight_kg / (subject.height_cm / 100.0) ** 2
    torso = _torso(srng, bmi, hull[np.argmin(hull[:, 2])])
    stacks = {"sax": plan_sax(frame, shapes, imaging, pose.lv_centre)}
    stacks.update({name: plan_lax(name, frame, shapes, imaging) for name in LAX_VIEWS})
    times = trigger_times_ms(n_frames, subject.heart_rate_bpm)
    views: dict[str, CineView] = {}
    labels: dict[str, np.ndarray] = {}
    for k, name in enumerate(VIEW_ORDER):
        noise_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7103, k]))
        n_sub = SAX_SUBPLANES if name == "sax" else LAX_SUBPLANES
        image, lab = render_view(stacks[name], frame, shapes, torso, imaging, n_sub, noise_rng)
        views[name] = CineView(name=name, data=image, affine=stacks[name].affine, trigger_times_ms=times.copy())
        labels[name] = lab
    metadata = StudyMetadata(patient_id=f"PHANTOM-{pathology.upper()}-{seed:05d}", height_cm=subject.height_cm,
                             weight_kg=subject.weight_kg, sex=subject.sex, heart_rate_bpm=subject.heart_rate_bpm,
                             extra={"synthetic": "CineMA phantom", "seed": str(seed), "pathology": pathology})
    study = CineStudy(views=views, metadata=metadata, study_id=metadata.patient_id or "phantom")
    landmarks = world_landmarks(stacks, frame, shapes)
    long_axis = frame.rotation[:, 2]
    disc, curves = discretised_truth(labels["sax"], stacks["sax"].affine, landmarks, long_axis)
    truth = {
        "seed": int(seed), "pathology": pathology, "n_frames": int(n_frames), "synthetic": True,
        "continuous": continuous_truth(shapes, landmarks, long_axis),
        "discretised": disc,
        "curves": {"LV volume continuous (mL)": shapes.lv_volume_ml.tolist(),
                   "LV volume discretised (mL)": curves[3].tolist(), "LV myocardium discretised (mL)":
                   curves[2].tolist(), "RV volume discretised (mL)": curves[1].tolist()},
        "conventions": dict(CONVENTIONS),
        "subject": {"sex": subject.sex, "height_cm": subject.height_cm, "weight_kg": subject.weight_kg,
                    "heart_rate_bpm": subject.heart_rate_bpm, "bsa_mosteller_m2": subject.bsa_m2},
        "parameters": {"target LVEDV (mL)": heart.lv_edv_ml, "target LVEF (%)": 100.0 * heart.lv_ef,
                       "LV wall at ED (mm)": heart.wall_ed_mm, "MAPSE longitudinal setting (mm)": heart.mapse_mm,
                       "TAPSE longitudinal setting (mm)": heart.tapse_mm,
                       "end systole (fraction of RR)": heart.es_fraction,
                       "SAX slice thickness (mm)": stacks["sax"].thickness,
                       "SAX slice pitch (mm)": stacks["sax"].spacing[2], "noise sigma (fraction of blood)":
                       imaging.noise_sigma, "long axis apex->base (RAS)": long_axis.tolist()},
    }
    return Phantom(study=study, labels=labels, landmarks_world=landmarks, truth=truth, seed=int(seed),
                   pathology=pathology, stacks=stacks, heart_frame=frame, shapes=shapes)
