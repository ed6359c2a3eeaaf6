"""The scene plus the one module logic the adapter needs (Sequences), inside Slicer or headless with slicer-core.

Why: the adapter never touches ``slicer.mrmlScene`` or ``slicer.modules`` (absent in slicer-core), so the same code
runs in the application and in pytest; tests and ``scene_demo.py`` build a fully initialised headless scene here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Module logics a headless scene registers (name -> slicer class name); Colors first so Volumes finds it.
HEADLESS_LOGICS: tuple[tuple[str, str], ...] = (
    ("Colors", "vtkSlicerColorLogic"),
    ("Volumes", "vtkSlicerVolumesLogic"),
    ("Sequences", "vtkSlicerSequencesLogic"),
    ("Segmentations", "vtkSlicerSegmentationsModuleLogic"),
    ("Markups", "vtkSlicerMarkupsLogic"),
    ("Tables", "vtkSlicerTablesLogic"),
    ("Plots", "vtkSlicerPlotsLogic"),
    ("SubjectHierarchy", "vtkSlicerSubjectHierarchyModuleLogic"),
)


@dataclass
class SceneContext:
    """A MRML scene and its Sequences logic; ``keep_alive`` holds the other logics a headless scene needs."""

    scene: Any
    sequences_logic: Any
    keep_alive: list[Any] = field(default_factory=list)

    @classmethod
    def from_application(cls) -> SceneContext:
        """The running Slicer application's scene (only inside Slicer)."""
        import slicer

        return cls(slicer.mrmlScene, slicer.modules.sequences.logic())

    @classmethod
    def headless(cls, temp_dir: str | Path) -> SceneContext:
        """A new scene with application, remote-IO and module logics, able to read and write MRB bundles."""
        import slicer

        temp = str(Path(temp_dir).resolve())
        Path(temp).mkdir(parents=True, exist_ok=True)
        scene = slicer.vtkMRMLScene()
        app = slicer.vtkSlicerApplicationLogic()
        app.SetMRMLScene(scene)
        app.SetTemporaryPath(temp)
        remote = slicer.vtkMRMLRemoteIOLogic()  # ReadFromMRB needs a cache directory from the DataIOManager
        remote.SetMRMLScene(scene)
        remote.GetCacheManager().SetRemoteCacheDirectory(temp)
        remote.AddDataIOToScene()
        data_io = slicer.vtkDataIOManagerLogic()
        data_io.SetMRMLApplicationLogic(app)
        data_io.SetAndObserveDataIOManager(remote.GetDataIOManager())
        keep: list[Any] = [app, remote, data_io]
        logics: dict[str, Any] = {}
        for name, class_name in HEADLESS_LOGICS:
            logic = getattr(slicer, class_name)()
            logic.SetMRMLApplicationLogic(app)
            logic.SetMRMLScene(scene)
            app.SetModuleLogic(name, logic)
            logics[name] = logic
            keep.append(logic)
        return cls(scene, logics["Sequences"], keep)

    def subject_hierarchy(self) -> Any:
        import slicer

        return slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(self.scene)

    def update_proxies(self, browser: Any) -> None:
        """Make the browser's proxy nodes show its selected item (Slicer's GUI does this on its own)."""
        self.sequences_logic.UpdateProxyNodesFromSequences(browser)
