"""Phantom sample data: .seq.nrrd files Slicer's sequence reader loads, registered with SampleData's API."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import numpy as np
import pytest
from CineMASlicer import sampledata

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'

pytestmark = pytest.mark.slicer


def test_phantom_cines_round_trip_through_seq_nrrd(ctx, tmp_path):
    pytest.importorskip("CineMALib.phantom", reason="CineMALib.phantom is not available yet")
    import slicer
    from CineMASlicer.study_nodes import view_from_node

    from CineMALib.phantom import generate_phantom

    files = sampledata.write_phantom_cines(tmp_path / "cache", n_frames=4, temp_dir=tmp_path / "t")
    assert set(files) == set(sampledata.SAMPLE_VIEWS)
    truth = generate_phantom(sampledata.PHANTOM_SEED, n_frames=4).study
    for view, path in files.items():
        sequence = ctx.scene.AddNewNodeByClass("vtkMRMLSequenceNode", path.name)
        reader = slicer.vtkMRMLVolumeSequenceStorageNode()
        reader.SetFileName(str(path))
        assert reader.ReadData(sequence)
        back = view_from_node(ctx, sequence, view)
        np.testing.assert_allclose(back.data, truth[view].data, atol=1e-5)
        np.testing.assert_allclose(back.affine, truth[view].affine, atol=1e-4)
        np.testing.assert_allclose(back.trigger_times_ms, truth[view].trigger_times_ms, atol=1e-3)
    mtime = files["sax"].stat().st_mtime_ns
    sampledata.write_phantom_cines(tmp_path / "cache", n_frames=4)
    assert files["sax"].stat().st_mtime_ns == mtime  # cached: not generated again


def test_registration_uses_sequence_files_and_generates_on_click(tmp_path, monkeypatch):
    registered, generated, loaded = [], [], []

    class FakeSampleDataLogic:
        @staticmethod
        def registerCustomSampleDataSource(**kwargs):
            registered.append(kwargs)

        def downloadFromSource(self, source):
            loaded.append(source)
            return ["node"]

    monkeypatch.setattr(sampledata, "write_phantom_cines", lambda cache: generated.append(cache))
    sampledata.register(FakeSampleDataLogic, tmp_path, tmp_path / "icon.png")
    (kwargs,) = registered
    assert kwargs["category"] == "CineMA" and kwargs["sampleName"] == sampledata.SAMPLE_NAME
    assert kwargs["loadFileType"] == ["SequenceFile", "SequenceFile"]
    assert kwargs["fileNames"] == [f"{name}.seq.nrrd" for name in sampledata.SAMPLE_VIEWS.values()]
    assert all(uri.startswith("file://") for uri in kwargs["uris"])
    assert kwargs["customDownloader"]("source") == ["node"]
    assert generated == [tmp_path] and loaded == ["source"]
