"""The body of ``CineMATest``: the phantom sample data through a demo analysis, Recompute and Export.

Kept here so the module file stays thin; it needs only what a bare Slicer ships until the installer has run.
"""

from __future__ import annotations

import tempfile
from typing import Any, Callable

from CineMASlicer import sampledata
from CineMASlicer.install import Installer
from CineMASlicer.report_rows import find_value
from CineMASlicer.settings import Settings


def phantom_analysis(test: Any, slicer: Any, make_logic: Callable[[], Any], register: Callable[[], None]) -> None:
    """Run the self-test on ``test`` (a unittest case): sample data, install, analyse, recompute, export."""
    import SampleData

    register()
    sampledata.write_phantom_cines(slicer.mrmlScene.GetCacheManager().GetRemoteCacheDirectory())
    nodes = SampleData.downloadSamples(sampledata.SAMPLE_NAME)  # needs only what a bare Slicer ships
    test.assertEqual(len(nodes), len(sampledata.SAMPLE_VIEWS))
    test.assertTrue(Installer(slicer, lambda text, details: True).install())  # running the test is consent
    logic = make_logic()  # a loaded .seq.nrrd gives the sequence node; the adapter accepts it or its proxy
    rows = logic.analyse(Settings(sax=nodes[0].GetID(), weights="demo", device="cpu"))
    lvef = float(find_value(rows, "LVEF"))
    test.assertTrue(20.0 < lvef < 90.0, f"LVEF {lvef}")
    test.assertEqual(find_value(logic.module.recompute(Settings()), "LVEF"), find_value(rows, "LVEF"))
    files = logic.module.export(tempfile.mkdtemp(prefix="CineMA-selftest-"))
    test.assertTrue(any(f.endswith("report.csv") for f in files))
