"""The cine inputs Slicer gives the user (issue 13 point 8): a 4-D NIfTI dropped on Slicer arrives as a MultiVolume
node, a ``.seq.nrrd`` as a volume sequence; both must analyse with their IJK->RAS geometry kept, and the results must
browse frame by frame with the image.

slicer-core has no ``vtkMRMLMultiVolumeNode`` (MultiVolumeExplorer is not in the wheel); the node is built the way its
importers build it: a scalar volume whose image has one scalar component per frame, the ``MultiVolume.*`` attributes
and the IJK->RAS matrix, on an oblique, flipped grid so an axis or sign slip shows.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

from pathlib import Path

import numpy as np
import pytest
from CineMASlicer.process import AnalysisProcess
from CineMASlicer.settings import Settings
from slicer_synthetic import ES_FRAME, N_FRAMES, TIMES_MS, study_and_results

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer
HERE = str(Path(__file__).resolve().parent)


def _multivolume(ctx, view, name="cine 4D", units="ms", frames=None):
    """A MultiVolume as MultiVolumeImporter makes it (scalar volume, one component per frame, attributes)."""
    import vtk
    from CineMASlicer.geometry import set_affine
    from vtk.util import numpy_support

    node = ctx.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)
    image = vtk.vtkImageData()  # (slicer.util.updateVolumeFromArray refuses components on a scalar volume)
    image.SetDimensions(*view.shape)
    kji = np.ascontiguousarray(view.data.transpose(2, 1, 0, 3)).reshape(-1, view.n_frames)  # x fastest, t last
    image.GetPointData().SetScalars(numpy_support.numpy_to_vtk(kji, deep=True))
    node.SetAndObserveImageData(image)
    set_affine(node, view.affine)
    node.SetAttribute("MultiVolume.NumberOfFrames", str(frames or view.n_frames))
    factor = 1000.0 if units == "s" else 1.0
    node.SetAttribute("MultiVolume.FrameLabels", ",".join(f"{t / factor:g}" for t in view.trigger_times_ms))
    node.SetAttribute("MultiVolume.FrameIdentifyingDICOMTagName", "TriggerTime")
    node.SetAttribute("MultiVolume.FrameIdentifyingDICOMTagUnits", units)
    return node


@pytest.mark.parametrize("units", ["ms", "s"])
def test_multivolume_is_a_cine_with_its_geometry_and_trigger_times(ctx, units):
    from CineMASlicer.study_nodes import view_from_node

    study, _ = study_and_results()
    node = _multivolume(ctx, study["sax"], units=units)
    view = view_from_node(ctx, node, "sax")
    np.testing.assert_array_equal(view.data, study["sax"].data)
    np.testing.assert_allclose(view.affine, study["sax"].affine, atol=1e-9)
    np.testing.assert_allclose(view.trigger_times_ms, TIMES_MS)


def test_multivolume_frame_count_that_disagrees_is_refused(ctx):
    from CineMASlicer.study_nodes import view_from_node

    from CineMALib.errors import CineMAInputError

    study, _ = study_and_results()
    node = _multivolume(ctx, study["sax"], name="broken 4D", frames=N_FRAMES - 1)
    with pytest.raises(CineMAInputError, match="broken 4D.*5 frames but its image has 6"):
        view_from_node(ctx, node, "sax")


def test_multivolume_results_browse_with_its_frames_and_reanalysis_leaves_no_nodes(ctx):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.geometry import affine_of, array_ijk
    from CineMASlicer.scene import SceneAdapter
    from CineMASlicer.segmentation_nodes import labels_from_segmentation

    study, results = study_and_results()
    inputs = {"sax": _multivolume(ctx, study["sax"]), "lax_4c": add_cine(ctx, study["lax_4c"], "4C")[2]}
    adapter = SceneAdapter(ctx)
    run = adapter.publish(adapter.study(inputs), inputs, results, "synthetic truth")
    sax = run.views["sax"]
    browser = ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(sax.segmentation_sequence)
    assert browser is sax.browser and browser.GetMasterSequenceNode() is sax.cine_sequence
    for t in (0, ES_FRAME):
        browser.SetSelectedItemNumber(t)
        ctx.update_proxies(browser)
        frame = browser.GetProxyNode(sax.cine_sequence)
        np.testing.assert_array_equal(array_ijk(frame), study["sax"].frame(t))  # the image of frame t ...
        np.testing.assert_allclose(affine_of(frame), study["sax"].affine, atol=1e-9)
        shown = labels_from_segmentation(sax.segmentation, study["sax"].affine, study["sax"].shape)
        np.testing.assert_array_equal(shown, results.views["sax"].labels[..., t])  # ... under the labels of t
    count = ctx.scene.GetNumberOfNodes()
    adapter.publish(adapter.study(inputs), inputs, results, "synthetic truth")
    assert ctx.scene.GetNumberOfNodes() == count  # the unedited run, its frames and browser replaced, not added


def test_multivolume_and_sequence_inputs_analyse_through_the_module(ctx, tmp_path):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.logic import ModuleLogic
    from CineMASlicer.report_rows import find_value

    study, _ = study_and_results()
    sequence = add_cine(ctx, study["sax"], "SAX sequence")[0]
    lax = add_cine(ctx, study["lax_4c"], "4C")[2]
    values = []
    for sax in (_multivolume(ctx, study["sax"]), sequence):
        logic = ModuleLogic(ctx, lambda: AnalysisProcess(analysis="slicer_fake_analysis:analyse_ok",
                                                         extra_paths=(HERE,)), temp_root=tmp_path)
        logic.start_analysis(Settings(sax=sax.GetID(), lax_4c=lax.GetID(), weights="demo"))
        final = logic.wait(120)[-1]
        assert final.kind == "done", final.message
        values.append(find_value(logic.finish(final), "LVEF"))
    assert values[0] == values[1] is not None
