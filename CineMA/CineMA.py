"""CineMA: cine cardiac MR analysis in 3D Slicer (segmentation, landmarks, ventricular function).

Thin shell: the panel's behaviour lives in ``CineMASlicer.presenter``, scene work in ``CineMASlicer.scene``, the
analysis runs in a background process (``CineMASlicer.process``) and the science in ``CineMALib``.
"""

import os
import sys
import tempfile

import qt
import slicer
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_REPO, "CineMALib")) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)  # source checkout; an installed extension ships CineMALib next to this file

from CineMASlicer import sampledata
from CineMASlicer.context import SceneContext
from CineMASlicer.install import Installer
from CineMASlicer.logic import ModuleLogic
from CineMASlicer.presenter import Presenter
from CineMASlicer.report_rows import find_value
from CineMASlicer.settings import Settings
from CineMASlicer.view import INPUT_SELECTORS, SETTINGS_SIGNALS, apply_state, prop, read_settings, show_settings

from CineMALib.resources import resource_path


class CineMA(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        parent.title = "CineMA"
        parent.categories = ["Cardiac"]
        parent.contributors = ["CineMA contributors"]
        parent.helpText = ("Segments LV, myocardium and RV, finds mitral/apex landmarks and reports volumes, EF, "
                           "mass, MAPSE from cine MR. Edit segmentations or landmarks, then Recompute.")
        parent.acknowledgementText = "Uses the CineMA foundation model (mathpluscode/CineMA, MIT licence)."
        icon = resource_path("Icons", "CineMA.png")
        if icon.exists():
            parent.icon = qt.QIcon(str(icon))
        slicer.app.connect("startupCompleted()", registerSampleData)


def registerSampleData():
    import SampleData

    cache = slicer.mrmlScene.GetCacheManager().GetRemoteCacheDirectory()
    sampledata.register(SampleData.SampleDataLogic, cache, resource_path("Icons", "CineMA.png"))


class CineMAWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(str(resource_path("UI", "CineMA.ui")))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = CineMALogic()
        self.logic.module.layout = slicer.app.layoutManager()  # chart and table shown after a run
        self.timer = qt.QTimer()
        self.timer.setInterval(250)
        ask = lambda text, details: slicer.util.confirmOkCancelDisplay(text, detailedText=details)  # noqa: E731
        self.presenter = Presenter(self.logic.module, Installer(slicer, ask), self._draw)
        self.timer.timeout.connect(self.presenter.tick)
        self.ui.analyseButton.clicked.connect(lambda: self.presenter.analyse())
        self.ui.cancelButton.clicked.connect(lambda: self.presenter.cancel())
        self.ui.recomputeButton.clicked.connect(lambda: self.presenter.recompute())
        self.ui.exportButton.clicked.connect(self.onExport)
        for signal, names in SETTINGS_SIGNALS.items():
            for name in names:
                getattr(self.ui, name).connect(signal, self.onSettingsChanged)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndImportEvent, self.onSceneLoaded)
        self.onSceneLoaded()

    def onSceneLoaded(self, *unused):
        show_settings(self.ui, self.logic.module.saved_settings())  # the parameter node: the panel as it was
        self.onSettingsChanged()
        self.presenter.show_existing()

    def cleanup(self):
        self.timer.stop()
        self.logic.module.shutdown()
        self.removeObservers()

    def _draw(self, state):
        apply_state(self.ui, state, qt.QTableWidgetItem)
        if state.progress_visible and not self.timer.isActive():
            self.timer.start()
        elif not state.progress_visible:
            self.timer.stop()

    def onSettingsChanged(self, *unused):
        ids = {view: prop(getattr(self.ui, name), "currentNodeID") for view, name in INPUT_SELECTORS.items()}
        self.presenter.settings_changed(read_settings(self.ui, ids))

    def onExport(self):
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), "Export CineMA results to")
        if folder:
            self.presenter.export(folder)


class CineMALogic(ScriptedLoadableModuleLogic):
    """Runs CineMA on scene nodes; usable without the widget (scripts, the self-test)."""

    def __init__(self, context=None):
        ScriptedLoadableModuleLogic.__init__(self)
        self.module = ModuleLogic(context or SceneContext.from_application())

    def analyse(self, settings, timeout_s=3600.0):
        """Analyse and wait; returns the report rows (blocking: for scripts and tests, not the GUI)."""
        self.module.start_analysis(settings)
        final = self.module.wait(timeout_s)[-1]
        if final.kind != "done":
            raise RuntimeError(final.message + (f"\n{final.details}" if final.details else ""))
        return self.module.finish(final)


class CineMATest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_demo_analysis_on_phantom()

    def test_demo_analysis_on_phantom(self):
        import SampleData

        registerSampleData()
        sampledata.write_phantom_cines(slicer.mrmlScene.GetCacheManager().GetRemoteCacheDirectory())
        nodes = SampleData.downloadSamples(sampledata.SAMPLE_NAME)  # needs only what a bare Slicer ships
        self.assertEqual(len(nodes), len(sampledata.SAMPLE_VIEWS))
        self.assertTrue(Installer(slicer, lambda text, details: True).install())  # running the test is consent
        logic = CineMALogic()  # a loaded .seq.nrrd gives the sequence node; the adapter accepts it or its proxy
        rows = logic.analyse(Settings(sax=nodes[0].GetID(), weights="demo", device="cpu"))
        lvef = float(find_value(rows, "LVEF"))
        self.assertTrue(20.0 < lvef < 90.0, f"LVEF {lvef}")
        self.assertEqual(find_value(logic.module.recompute(Settings()), "LVEF"), find_value(rows, "LVEF"))
        files = logic.module.export(tempfile.mkdtemp(prefix="CineMA-selftest-"))
        self.assertTrue(any(f.endswith("report.csv") for f in files))
        self.delayDisplay("CineMA self-test passed")
