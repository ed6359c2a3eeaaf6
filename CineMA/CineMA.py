"""CineMA: cine cardiac MR analysis in 3D Slicer. A thin shell: the panel lives in ``CineMASlicer.panel`` and
``presenter``, scene work in ``CineMASlicer.scene``, the analysis in a background process, the science in CineMALib.
"""

import os
import sys

import qt
import slicer
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                          ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)
from slicer.util import VTKObservationMixin

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_REPO, "CineMALib")) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)  # source checkout; an installed extension ships CineMALib next to this file

from CineMASlicer import sampledata, selftest
from CineMASlicer.context import SceneContext
from CineMASlicer.logic import ModuleLogic
from CineMASlicer.panel import Panel

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
        self.panel = Panel(self.ui, self.logic.module, qt, slicer)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndImportEvent, self.onSceneLoaded)
        self.onSceneLoaded()

    def onSceneLoaded(self, *unused):
        self.panel.scene_loaded()

    def cleanup(self):
        self.panel.stop()
        self.logic.module.shutdown()
        self.removeObservers()


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
        selftest.phantom_analysis(self, slicer, CineMALogic, registerSampleData)
        self.delayDisplay("CineMA self-test passed")
