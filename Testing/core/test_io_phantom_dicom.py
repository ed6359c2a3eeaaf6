"""The phantom's DICOM output read back: same voxels and geometry per view, and LAX views told apart from geometry
alone when their descriptions are removed (realistic heart poses, unlike the idealised planes of test_io_dicom)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from CineMALib.io import read_study

generate = pytest.importorskip("CineMALib.phantom.generate", reason="phantom package not available")
dicom_writer = pytest.importorskip("CineMALib.phantom.dicom_writer", reason="phantom DICOM writer not available")


@pytest.mark.parametrize("seed", [1, 2])
def test_phantom_dicom_round_trip_and_geometric_lax_names(tmp_path: Path, seed: int) -> None:
    phantom = generate.generate_phantom(seed, "normal", n_frames=4)
    dicom_writer.write_dicom_study(phantom, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(tmp_path)
    assert set(study.views) == set(phantom.study.views)
    for name, truth in phantom.study.views.items():
        np.testing.assert_allclose(study[name].data, truth.data, atol=1.0)  # DICOM stores integers
        np.testing.assert_allclose(study[name].affine, truth.affine, atol=1e-4)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.parent.name.startswith("lax"):
            ds = pydicom.dcmread(str(path))
            ds.SeriesDescription, ds.ProtocolName = "", ""
            ds.save_as(str(path))
    with pytest.warns(UserWarning, match="rotation about the long axis"):
        blind = read_study(tmp_path)
    for name in ("lax_2c", "lax_3c", "lax_4c"):
        np.testing.assert_allclose(blind[name].affine, phantom.study[name].affine, atol=1e-4, err_msg=name)
