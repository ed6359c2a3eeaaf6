"""A bare Slicer: the module, its Sample Data and its self-test up to the installer need only what Slicer ships.

Slicer ships numpy, scipy, SimpleITK, pydicom and VTK, but not nibabel, pynrrd, scikit-image, PyYAML, matplotlib,
tqdm, safetensors, huggingface_hub or torch (torch comes from the PyTorch extension). A fresh Python process with
those imports blocked (``sys.modules[name] = None``) loads CineMA.py, registers and generates the phantom sample
data, reads the .seq.nrrd files back with Slicer's sequence reader and runs ``CineMATest`` with only the analysis
faked: the installer (faked to lift the block) must run before anything needs the blocked packages.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slicer
REPO = Path(__file__).resolve().parents[2]
#: Import names of CineMALib's requirements that a fresh Slicer does not have.
NOT_IN_SLICER = ("nibabel", "nrrd", "skimage", "yaml", "matplotlib", "tqdm", "safetensors", "huggingface_hub", "torch")

SCRIPT = textwrap.dedent('''
    import json, sys, types, unittest
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    repo, work, blocked = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    for name in blocked:
        sys.modules[name] = None  # 'import nibabel' now raises ImportError, as in a fresh Slicer
    sys.path[:0] = [str(repo), str(repo / "CineMA")]
    import slicer
    from CineMASlicer.context import SceneContext
    from CineMASlicer.report_rows import TableRow

    ctx = SceneContext.headless(work / "temp")
    cache = work / "cache"

    # Stand-ins for what only the application provides.
    qt = types.ModuleType("qt")
    qt.QIcon = lambda path: path
    base = types.ModuleType("slicer.ScriptedLoadableModule")
    for name in ("ScriptedLoadableModule", "ScriptedLoadableModuleWidget", "ScriptedLoadableModuleLogic"):
        setattr(base, name, type(name, (), {"__init__": lambda self, parent=None: None}))
    base.ScriptedLoadableModuleTest = type("ScriptedLoadableModuleTest", (unittest.TestCase,),
                                           {"delayDisplay": lambda self, text: print(text)})
    sys.modules.update({"qt": qt, "slicer.ScriptedLoadableModule": base})
    slicer.ScriptedLoadableModule = base
    slicer.app = types.SimpleNamespace(connect=lambda *a: None)
    cache_manager = types.SimpleNamespace(GetRemoteCacheDirectory=lambda: str(cache))
    slicer.mrmlScene = types.SimpleNamespace(Clear=lambda *a: None, GetCacheManager=lambda: cache_manager)

    sample_data = types.ModuleType("SampleData")
    registered = {}

    class SampleDataLogic:
        @staticmethod
        def registerCustomSampleDataSource(**kwargs):
            registered[kwargs["sampleName"]] = kwargs

    def downloadSamples(name):  # what SampleData does with a registered SequenceFile source
        source, nodes = registered[name], []
        for uri, node_name, file_type in zip(source["uris"], source["nodeNames"], source["loadFileType"]):
            assert file_type == "SequenceFile", file_type
            node = ctx.scene.AddNewNodeByClass("vtkMRMLSequenceNode", node_name)
            reader = slicer.vtkMRMLVolumeSequenceStorageNode()
            reader.SetFileName(unquote(urlparse(uri).path))
            assert reader.ReadData(node), uri
            nodes.append(node)
        return nodes

    sample_data.SampleDataLogic, sample_data.downloadSamples = SampleDataLogic, downloadSamples
    sys.modules["SampleData"] = sample_data

    import importlib.util
    spec = importlib.util.spec_from_file_location("CineMA", repo / "CineMA" / "CineMA.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["CineMA"] = module
    spec.loader.exec_module(module)  # the module file itself imports without the blocked packages

    timeline = []

    class FakeInstaller:
        def __init__(self, slicer_module, confirm):
            self.confirm = confirm

        def install(self):
            assert self.confirm("install?", ""), "the self-test must consent without a dialog"
            timeline.append("installed")
            for name in blocked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]  # as if pip had installed it
            return True

    class FakeLogic:
        def __init__(self):
            self.module = self

        def analyse(self, settings):
            assert timeline == ["installed"], "the analysis ran before the installer"
            timeline.append(("analysed", settings.sax))
            return [TableRow("LVEF", "60.0", "%")]

        def recompute(self, settings):
            return [TableRow("LVEF", "60.0", "%")]

        def export(self, folder):
            return [str(Path(folder) / "report.csv")]

    module.selftest.Installer, module.CineMALogic = FakeInstaller, FakeLogic
    test = module.CineMATest("test_demo_analysis_on_phantom")
    test.runTest()
    frames = [n.GetNumberOfDataNodes() for n in ctx.scene.GetNodesByClass("vtkMRMLSequenceNode")]
    print("RESULT " + json.dumps({"timeline": [list(t) if isinstance(t, tuple) else t for t in timeline],
                                  "frames": frames, "registered": sorted(registered)}))
''')


def test_sample_data_and_self_test_need_only_what_slicer_ships(tmp_path):
    pytest.importorskip("slicer", reason="slicer-core is not installed")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO), str(tmp_path), json.dumps(NOT_IN_SLICER)],
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(lines[-1][len("RESULT "):])
    assert result["registered"] == ["CineMAPhantom"]
    assert result["frames"] == [25, 25]  # SAX and 4C cines generated and read back by Slicer's reader
    assert result["timeline"][0] == "installed" and result["timeline"][1][0] == "analysed"
    assert "CineMA self-test passed" in done.stdout
