"""Wiring of the loaded .ui to the Qt-free presenter: signals in, drawn states out.

Why a separate file: the module file stays a thin shell, and every Qt call here goes through setters, methods or
``view.prop`` (PythonQt returns Qt properties as values), so the same code runs in Slicer and in the PySide6 tests.
"""

from __future__ import annotations

from typing import Any

from CineMASlicer.install import Installer
from CineMASlicer.presenter import Presenter
from CineMASlicer.view import INPUT_SELECTORS, SETTINGS_SIGNALS, apply_state, prop, read_settings, show_settings


class Panel:
    """Connects ``ui`` (childWidgetVariables of CineMA.ui) to a presenter over ``module`` (a ModuleLogic)."""

    def __init__(self, ui: Any, module: Any, qt: Any, slicer: Any) -> None:
        self.ui, self.module, self.qt, self.slicer = ui, module, qt, slicer
        self.timer = qt.QTimer()
        self.timer.setInterval(250)
        ask = lambda text, details: slicer.util.confirmOkCancelDisplay(text, detailedText=details)  # noqa: E731
        self.presenter = Presenter(module, Installer(slicer, ask), self.draw)
        self.timer.timeout.connect(self.presenter.tick)
        ui.analyseButton.clicked.connect(lambda: self.presenter.analyse())
        ui.cancelButton.clicked.connect(lambda: self.presenter.cancel())
        ui.recomputeButton.clicked.connect(lambda: self.presenter.recompute())
        ui.exportButton.clicked.connect(self.export)
        for signal, names in SETTINGS_SIGNALS.items():
            for name in names:
                getattr(ui, name).connect(signal, self.settings_changed)

    def scene_loaded(self) -> None:
        show_settings(self.ui, self.module.saved_settings())  # the parameter node: the panel as it was
        self.settings_changed()
        self.presenter.show_existing()

    def stop(self) -> None:
        self.timer.stop()

    def draw(self, state: Any) -> None:
        apply_state(self.ui, state, self.qt.QTableWidgetItem)
        if state.progress_visible and not self.timer.isActive():
            self.timer.start()
        elif not state.progress_visible:
            self.timer.stop()

    def settings_changed(self, *unused: Any) -> None:
        ids = {view: prop(getattr(self.ui, name), "currentNodeID") for view, name in INPUT_SELECTORS.items()}
        self.presenter.settings_changed(read_settings(self.ui, ids))

    def export(self) -> None:
        from CineMASlicer.dicom_export import CHOICE_LABELS, choice_of

        folder = self.qt.QFileDialog.getExistingDirectory(self.slicer.util.mainWindow(), "Export CineMA results to")
        if not folder:
            return
        picked = self.qt.QInputDialog.getItem(self.slicer.util.mainWindow(), "Export CineMA results",
                                              "Export as:", list(CHOICE_LABELS), 0, False)
        choice = choice_of(picked)  # PythonQt returns the text, PySide6 (text, ok)
        if choice is not None:
            self.presenter.export(folder, choice)
