"""Draw a :class:`ViewState` on the panel's widgets and read :class:`Settings` back from them.

PythonQt (Slicer) and PySide6 (tests) differ on Qt properties: in PythonQt ``spinBox.value`` *is* the value and
``spinBox.value()`` raises TypeError, in PySide6 it is the getter. So property values are read only through
:func:`prop`; setters (``setValue``) and non-property getters (``isChecked()``) are methods in both. The table item
class is passed in because each binding has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .presenter import ViewState
from .report_rows import COLUMNS
from .settings import DATASET_CHOICES, DEVICE_CHOICES, SEED_CHOICES, SEX_CHOICES, WEIGHT_CHOICES, Settings

#: objectName -> choice list, for every combo box whose items the .ui file must list in this order.
COMBO_CHOICES: dict[str, tuple[tuple[str, Any], ...]] = {
    "weightsComboBox": WEIGHT_CHOICES, "datasetComboBox": DATASET_CHOICES, "seedComboBox": SEED_CHOICES,
    "deviceComboBox": DEVICE_CHOICES, "sexComboBox": SEX_CHOICES,
}
#: Widgets the module reads or writes (the .ui test checks they exist).
INPUT_SELECTORS: dict[str, str] = {"sax": "saxSelector", "lax_2c": "lax2cSelector", "lax_3c": "lax3cSelector",
                                   "lax_4c": "lax4cSelector"}
BUTTONS: dict[str, str] = {"analyseButton": "Analyse", "recomputeButton": "Recompute", "exportButton": "Export",
                           "cancelButton": "Cancel"}
#: Spin boxes of the user's ED/ES frames (0-based); their minimum, -1, shows "auto" (the specialValueText).
FRAME_SPIN_BOXES: dict[str, str] = {"ed_frame": "edFrameSpinBox", "es_frame": "esFrameSpinBox"}
INPUT_WIDGETS: tuple[str, ...] = ("heightSpinBox", "weightSpinBox", "fastRadioButton", "allFramesRadioButton",
                                  "endSliceChecksCheckBox", *FRAME_SPIN_BOXES.values(),
                                  *COMBO_CHOICES, *INPUT_SELECTORS.values())
OUTPUT_WIDGETS: tuple[str, ...] = ("progressBar", "statusLabel", "resultsTable")
#: Qt signal -> widgets whose change must refresh the settings (the radio pair toggles together: one suffices).
SETTINGS_SIGNALS: dict[str, tuple[str, ...]] = {
    "currentNodeChanged(vtkMRMLNode*)": tuple(INPUT_SELECTORS.values()),
    "valueChanged(double)": ("heightSpinBox", "weightSpinBox"),
    "valueChanged(int)": tuple(FRAME_SPIN_BOXES.values()),
    "currentIndexChanged(int)": tuple(COMBO_CHOICES),
    "toggled(bool)": ("fastRadioButton", "endSliceChecksCheckBox"),
}


def prop(widget: Any, name: str) -> Any:
    """The value of Qt property ``name``: an attribute in PythonQt, a getter method in PySide6."""
    value = getattr(widget, name)
    return value() if callable(value) else value


def _choice(ui: Any, name: str) -> Any:
    choices = COMBO_CHOICES[name]
    index = int(prop(getattr(ui, name), "currentIndex"))
    return choices[index][1] if 0 <= index < len(choices) else choices[0][1]


def _optional(spin_box: Any) -> float | None:
    """A spin box whose minimum means 'not given' (its specialValueText)."""
    value = float(prop(spin_box, "value"))
    return None if value <= float(prop(spin_box, "minimum")) else value


def _frame(spin_box: Any) -> int | None:
    """A frame spin box: its minimum (-1, shown as "auto") means automatic."""
    value = int(prop(spin_box, "value"))
    return None if value <= int(prop(spin_box, "minimum")) or value < 0 else value


def read_settings(ui: Any, node_ids: dict[str, str | None]) -> Settings:
    """Settings from the panel; node IDs come from the MRML selectors, read by the caller."""
    return Settings(
        sax=node_ids.get("sax"), lax_2c=node_ids.get("lax_2c"), lax_3c=node_ids.get("lax_3c"),
        lax_4c=node_ids.get("lax_4c"), height_cm=_optional(ui.heightSpinBox), weight_kg=_optional(ui.weightSpinBox),
        sex=_choice(ui, "sexComboBox"), weights=_choice(ui, "weightsComboBox"),
        dataset=_choice(ui, "datasetComboBox"), seed=_choice(ui, "seedComboBox"), device=_choice(ui, "deviceComboBox"),
        fast=bool(ui.fastRadioButton.isChecked()), basal_check=bool(ui.endSliceChecksCheckBox.isChecked()),
        **{name: _frame(getattr(ui, widget)) for name, widget in FRAME_SPIN_BOXES.items()})


#: Combo box -> the Settings field it chooses.
COMBO_FIELDS: dict[str, str] = {"weightsComboBox": "weights", "datasetComboBox": "dataset", "seedComboBox": "seed",
                                "deviceComboBox": "device", "sexComboBox": "sex"}


def show_settings(ui: Any, settings: Settings) -> None:
    """Set the panel's widgets to ``settings`` (e.g. a reopened scene's parameter node): the inverse of
    :func:`read_settings`. Signals are blocked meanwhile, so the caller refreshes once instead of per widget."""
    widgets = [getattr(ui, name) for name in INPUT_WIDGETS]
    for widget in widgets:
        widget.blockSignals(True)
    try:
        for view, name in INPUT_SELECTORS.items():
            getattr(ui, name).setCurrentNodeID(getattr(settings, view) or "")
        for spin_box, value in ((ui.heightSpinBox, settings.height_cm), (ui.weightSpinBox, settings.weight_kg)):
            spin_box.setValue(float(prop(spin_box, "minimum")) if value is None else float(value))
        for name, field_name in COMBO_FIELDS.items():
            values = [value for _, value in COMBO_CHOICES[name]]
            chosen = getattr(settings, field_name)
            getattr(ui, name).setCurrentIndex(values.index(chosen) if chosen in values else 0)
        (ui.fastRadioButton if settings.fast else ui.allFramesRadioButton).setChecked(True)
        ui.endSliceChecksCheckBox.setChecked(bool(settings.basal_check))
        for name, widget in FRAME_SPIN_BOXES.items():
            spin_box, frame = getattr(ui, widget), getattr(settings, name)
            spin_box.setValue(int(prop(spin_box, "minimum")) if frame is None else int(frame))
    finally:
        for widget in widgets:
            widget.blockSignals(False)


def apply_state(ui: Any, state: ViewState, make_item: Callable[[str], Any]) -> None:
    """Enable, show and fill the widgets as ``state`` says."""
    ui.analyseButton.setEnabled(state.analyse_enabled)
    ui.recomputeButton.setEnabled(state.recompute_enabled)
    ui.exportButton.setEnabled(state.export_enabled)
    ui.cancelButton.setEnabled(state.cancel_enabled)
    ui.cancelButton.setVisible(state.progress_visible)
    for name in INPUT_WIDGETS:
        getattr(ui, name).setEnabled(state.inputs_enabled)
    ui.progressBar.setVisible(state.progress_visible)
    ui.progressBar.setMaximum(max(state.progress_maximum, 0))
    ui.progressBar.setValue(min(state.progress_value, max(state.progress_maximum, 0)))
    ui.statusLabel.setText(state.status)
    ui.statusLabel.setStyleSheet("color: #c0392b;" if state.error else "color: #b9770e; font-weight: bold;"
                                 if state.warning else "")
    table = ui.resultsTable
    if prop(table, "rowCount") != len(state.rows) or prop(table, "columnCount") != len(COLUMNS):
        table.setColumnCount(len(COLUMNS))
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.setRowCount(len(state.rows))
    for r, row in enumerate(state.rows):
        for c, text in enumerate(row.cells()):
            table.setItem(r, c, make_item(text))
