"""Resources/UI/CineMA.ui: loads in Qt (PySide6, offscreen) with stand-ins for the CTK/MRML widgets, has the
widgets and labels the module uses, and the view code drives it (state in, settings out).

Every widget reaches the view code through :class:`pythonqt.PythonQtProxy`, so a Qt property read as a getter
call (``spinBox.value()``) fails here as it fails in Slicer."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from CineMASlicer.presenter import ViewState
from CineMASlicer.report_rows import COLUMNS, TableRow
from CineMASlicer.view import (
    BUTTONS,
    COMBO_CHOICES,
    INPUT_SELECTORS,
    INPUT_WIDGETS,
    OUTPUT_WIDGETS,
    apply_state,
    read_settings,
    show_settings,
)
from pythonqt import unwrap, wrap

UI_FILE = Path(__file__).resolve().parents[2] / "Resources" / "UI" / "CineMA.ui"
QT_CLASSES_OK = ("Q",)
CUSTOM = {"qMRMLWidget", "ctkCollapsibleButton", "qMRMLNodeComboBox"}


def _tree() -> ET.Element:
    return ET.parse(UI_FILE).getroot()


def _widgets() -> dict[str, ET.Element]:
    return {w.get("name"): w for w in _tree().iter("widget")}


def test_xml_names_labels_and_choices():
    widgets = _widgets()
    for name in (*BUTTONS, *INPUT_WIDGETS, *OUTPUT_WIDGETS):
        assert name in widgets, f"{name} missing from {UI_FILE.name}"
    for name, label in BUTTONS.items():
        assert widgets[name].find("property[@name='text']/string").text == label
    for name, choices in COMBO_CHOICES.items():
        items = [i.find("property[@name='text']/string").text for i in widgets[name].findall("item")]
        assert items == [label for label, _ in choices], name


def test_custom_widgets_are_declared_and_selectors_get_the_scene():
    root = _tree()
    declared = {c.findtext("class") for c in root.iter("customwidget")}
    used = {w.get("class") for w in root.iter("widget") if not w.get("class").startswith(QT_CLASSES_OK)}
    assert used <= declared == CUSTOM
    assert root.find("widget").get("class") == "qMRMLWidget"
    connected = {(c.findtext("signal"), c.findtext("receiver"), c.findtext("slot")) for c in root.iter("connection")}
    for selector in INPUT_SELECTORS.values():
        assert ("mrmlSceneChanged(vtkMRMLScene*)", selector, "setMRMLScene(vtkMRMLScene*)") in connected
        types = [s.text for s in _widgets()[selector].findall("property[@name='nodeTypes']/stringlist/string")]
        assert "vtkMRMLScalarVolumeNode" in types and "vtkMRMLSequenceNode" in types
        # a MultiVolume (a 4-D NIfTI dropped on Slicer) is a vtkMRMLScalarVolumeNode subclass: offered only with this
        assert _widgets()[selector].findtext("property[@name='showChildNodeTypes']/bool") == "true"


@pytest.fixture(scope="module")
def loaded_ui():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    widgets = pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed")
    from PySide6.QtCore import SIGNAL, Property, QFile, Signal, Slot
    from PySide6.QtUiTools import QUiLoader

    app = widgets.QApplication.instance() or widgets.QApplication([])

    class qMRMLWidget(widgets.QWidget):
        mrmlSceneChanged = Signal("vtkMRMLScene*")

    class ctkCollapsibleButton(widgets.QWidget):
        pass

    class qMRMLNodeComboBox(widgets.QWidget):
        node_id = ""

        @Slot("vtkMRMLScene*")
        def setMRMLScene(self, scene):
            self.scene = scene

        @Slot(str)
        def setCurrentNodeID(self, node_id):
            self.node_id = node_id

        currentNodeID = Property(str, lambda self: self.node_id, setCurrentNodeID)  # a Q_PROPERTY in Slicer too

    loader = QUiLoader()
    for cls in (qMRMLWidget, ctkCollapsibleButton, qMRMLNodeComboBox):
        loader.registerCustomWidget(cls)
    handle = QFile(str(UI_FILE))
    assert handle.open(QFile.ReadOnly)
    root = loader.load(handle)
    handle.close()
    assert root is not None, loader.errorString()
    names = (*BUTTONS, *INPUT_WIDGETS, *OUTPUT_WIDGETS)
    ui = type("Ui", (), {name: wrap(root.findChild(widgets.QWidget, name)) for name in names})
    root.scene_receivers = root.receivers(SIGNAL("mrmlSceneChanged(vtkMRMLScene*)"))
    yield app, root, ui, widgets


def test_the_proxy_reads_properties_as_pythonqt_does(loaded_ui):
    _, _, ui, _ = loaded_ui
    spin = ui.weightSpinBox
    spin.setValue(70.0)
    assert spin.value == 70.0 and isinstance(spin.minimum, float)
    with pytest.raises(TypeError, match="not callable"):
        spin.value()  # what Slicer raises for a getter called as a method
    assert ui.fastRadioButton.isChecked() in (True, False)  # not a property name: still a method
    ui.exportButton.enabled = False  # PythonQt sets properties by assignment
    assert not unwrap(ui.exportButton).isEnabled() and ui.exportButton.enabled is False


def test_loads_with_buttons_labelled(loaded_ui):
    _, root, ui, widgets = loaded_ui
    assert type(root).__name__ == "qMRMLWidget"
    assert root.scene_receivers == len(INPUT_SELECTORS)  # the Designer connections were made
    assert type(unwrap(ui.saxSelector)).__name__ == "qMRMLNodeComboBox"
    assert {name: getattr(ui, name).text for name in BUTTONS} == BUTTONS
    assert isinstance(unwrap(ui.resultsTable), widgets.QTableWidget)


def test_view_state_drives_the_widgets(loaded_ui):
    _, _, ui, widgets = loaded_ui
    rows = [TableRow("LVEF", "61.20", "%", "ED-ES", "0, 9"), TableRow("LVEDV", "150.00", "mL", "ED", "0")]
    apply_state(ui, ViewState(recompute_enabled=True, export_enabled=True, status="Done", rows=rows),
                widgets.QTableWidgetItem)
    assert not ui.analyseButton.isEnabled() and ui.recomputeButton.isEnabled() and ui.exportButton.isEnabled()
    assert ui.resultsTable.rowCount == 2 and ui.resultsTable.columnCount == len(COLUMNS)
    assert ui.resultsTable.item(0, 1).text() == "61.20"
    assert ui.resultsTable.horizontalHeaderItem(0).text() == "Measure"
    assert ui.statusLabel.text == "Done"
    apply_state(ui, ViewState(progress_visible=True, cancel_enabled=True, inputs_enabled=False, progress_value=3,
                              progress_maximum=12), widgets.QTableWidgetItem)
    assert ui.cancelButton.isEnabled() and not ui.saxSelector.isEnabled() and not ui.heightSpinBox.isEnabled()
    assert (ui.progressBar.value, ui.progressBar.maximum) == (3, 12)
    assert ui.resultsTable.rowCount == 0


def test_warning_and_error_look_different(loaded_ui):
    _, _, ui, widgets = loaded_ui
    styles = {}
    for kind in ("error", "warning", "plain"):
        apply_state(ui, ViewState(status=kind, error=kind == "error", warning=kind == "warning"),
                    widgets.QTableWidgetItem)
        styles[kind] = ui.statusLabel.styleSheet
    assert len(set(styles.values())) == 3 and styles["plain"] == ""


def test_settings_read_from_the_widgets(loaded_ui):
    _, _, ui, _ = loaded_ui
    ui.heightSpinBox.setValue(0.0)
    ui.weightSpinBox.setValue(82.5)
    ui.sexComboBox.setCurrentIndex(2)
    ui.weightsComboBox.setCurrentIndex(1)
    ui.seedComboBox.setCurrentIndex(3)
    ui.deviceComboBox.setCurrentIndex(2)
    ui.allFramesRadioButton.setChecked(True)
    settings = read_settings(ui, {"sax": "vtkMRMLScalarVolumeNode1", "lax_4c": None})
    assert (settings.sax, settings.lax_4c) == ("vtkMRMLScalarVolumeNode1", None)
    assert settings.height_cm is None and settings.weight_kg == 82.5 and settings.sex == "M"
    assert (settings.weights, settings.seed, settings.device, settings.fast) == ("demo", None, "cpu", False)
    assert settings.options()["ensemble"] is True
    assert not settings.basal_check and settings.options()["basal_check"] is False  # the .ui default: checks off
    assert "end-slice checks" not in settings.describe()
    ui.endSliceChecksCheckBox.setChecked(True)
    settings = read_settings(ui, {"sax": "vtkMRMLScalarVolumeNode1"})
    assert settings.options()["basal_check"] is True and "end-slice checks on" in settings.describe()


def test_the_command_line_options_are_in_the_panel():
    """fast / all frames, ensemble, device and the end-slice checks: each reaches AnalysisOptions, as the CLI's."""
    from CineMASlicer.settings import DEVICE_CHOICES, Settings

    from CineMALib.analysis.options import AnalysisOptions

    for name in ("fastRadioButton", "allFramesRadioButton", "seedComboBox", "deviceComboBox",
                 "endSliceChecksCheckBox"):
        assert name in _widgets() and name in INPUT_WIDGETS, name
    assert {value for _, value in DEVICE_CHOICES} == {"auto", "cpu", "cuda"}
    options = AnalysisOptions(**Settings(sax="x", weights="demo", seed=None, device="cpu", fast=False,
                                         basal_check=True).options())
    assert (options.ensemble, options.device, options.fast, options.basal_check) == (True, "cpu", False, True)
    defaults = AnalysisOptions(**Settings(sax="x", weights="demo").options())
    assert (defaults.ensemble, defaults.fast, defaults.basal_check) == (False, True, False)


def test_every_setting_widget_refreshes_the_settings():
    from CineMASlicer.view import SETTINGS_SIGNALS

    connected = {name for names in SETTINGS_SIGNALS.values() for name in names}
    assert set(INPUT_WIDGETS) - connected == {"allFramesRadioButton"}  # exclusive with fastRadioButton
    classes = {name: w.get("class") for name, w in _widgets().items()}
    expected = {"currentNodeChanged(vtkMRMLNode*)": {"qMRMLNodeComboBox"}, "valueChanged(double)": {"QDoubleSpinBox"},
                "currentIndexChanged(int)": {"QComboBox"}, "toggled(bool)": {"QRadioButton", "QCheckBox"},
                "valueChanged(int)": {"QSpinBox"}}
    for signal, names in SETTINGS_SIGNALS.items():
        assert names and {classes[n] for n in names} <= expected[signal], signal


def test_show_settings_restores_what_read_settings_reads_without_signals(loaded_ui):
    """A reopened scene's parameter node drives the panel: every choice comes back, and no change signal fires
    (each would store half-restored settings and place the LV centre again)."""
    from CineMASlicer.settings import Settings

    _, _, ui, _ = loaded_ui
    fired = []
    unwrap(ui.weightSpinBox).valueChanged.connect(lambda *a: fired.append(a))
    unwrap(ui.deviceComboBox).currentIndexChanged.connect(lambda *a: fired.append(a))
    chosen = Settings(sax="vtkMRMLScalarVolumeNode1", lax_4c="vtkMRMLScalarVolumeNode2", height_cm=172.0,
                      weight_kg=81.5, sex="F", weights="demo", dataset="mnms", seed=None, device="cuda", fast=False,
                      basal_check=True)
    for settings in (chosen, Settings(), chosen):
        show_settings(ui, settings)
        ids = {view: getattr(ui, name).currentNodeID or None for view, name in INPUT_SELECTORS.items()}
        assert read_settings(ui, ids) == settings
    assert fired == []


def test_ed_es_frame_spin_boxes(loaded_ui):
    """Two spin boxes choose ED/ES (0-based; "auto" at -1): read into Settings, restored by show_settings, and
    passed to the analysis (AnalysisOptions) and to Recompute (measure_study keywords)."""
    from CineMASlicer.settings import Settings

    from CineMALib.analysis.options import AnalysisOptions

    _, _, ui, _ = loaded_ui
    for name in ("edFrameSpinBox", "esFrameSpinBox"):
        assert getattr(ui, name).specialValueText == "auto" and getattr(ui, name).minimum == -1
    show_settings(ui, Settings())
    auto = read_settings(ui, {"sax": "vtkMRMLScalarVolumeNode1"})
    assert (auto.ed_frame, auto.es_frame) == (None, None) and ui.edFrameSpinBox.text == "auto"
    ui.edFrameSpinBox.setValue(0)  # frame 0 is a frame, not "auto"
    ui.esFrameSpinBox.setValue(7)
    given = read_settings(ui, {"sax": "vtkMRMLScalarVolumeNode1"})
    assert (given.ed_frame, given.es_frame) == (0, 7) and given.phases() == {"ed": 0, "es": 7}
    options = AnalysisOptions(**given.options())
    assert (options.ed_frame, options.es_frame) == (0, 7)
    show_settings(ui, Settings(ed_frame=4))
    assert read_settings(ui, {}).ed_frame == 4 and read_settings(ui, {}).es_frame is None
    ui.esFrameSpinBox.setValue(4)
    assert any("both frame 4" in p for p in read_settings(ui, {"sax": "x"}).problems())
    show_settings(ui, Settings())
