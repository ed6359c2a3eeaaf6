"""The panel's inputs and options kept in the scene, in CineMA's parameter node, so a saved scene reopens the panel
as it was.

Slicer's convention: one ``vtkMRMLScriptedModuleNode`` per module, singleton tag = module name (what
``ScriptedLoadableModuleLogic.getParameterNode()`` finds too). Every :class:`Settings` field is stored, with no list
to keep here: a field declared with ``node_field()`` as a node reference (its role is the field name), any other as a
JSON parameter (its name is the field name). Node references, unlike ID strings, are saved with the scene, renamed
when an imported scene's IDs clash, and dropped when the node is deleted. The parameter node also references the
report table of the run the panel shows (role ``run``).

>>> params = ParameterNode.of(ctx)                       # doctest: +SKIP
>>> params.store(Settings(sax=volume.GetID(), fast=False))  # doctest: +SKIP
>>> params.settings().fast                                # doctest: +SKIP
False
"""

from __future__ import annotations

import json
from dataclasses import MISSING, Field, fields
from typing import Any

from .context import SceneContext
from .settings import NODE_REFERENCE, Settings

MODULE_NAME = "CineMA"
#: Node-reference role of the run (its report table) the panel shows.
RUN_ROLE = "run"


def _default(spec: Field) -> Any:
    if spec.default is not MISSING:
        return spec.default
    if spec.default_factory is not MISSING:  # type: ignore[misc]
        return spec.default_factory()  # type: ignore[misc]
    return None


def _decode(text: str, spec: Field) -> Any:
    """A stored JSON value, or the field's default when it does not parse (hand-edited or from another version)."""
    try:
        value = json.loads(text)
    except ValueError:
        return _default(spec)
    return tuple(value) if isinstance(_default(spec), tuple) and isinstance(value, list) else value


class ParameterNode:
    """CineMA's parameter node in one scene: :class:`Settings` in and out, and the run the panel shows."""

    def __init__(self, node: Any) -> None:
        self.node = node

    @classmethod
    def of(cls, ctx: SceneContext) -> ParameterNode:
        """The scene's CineMA parameter node, created (with default settings) when the scene has none."""
        node = ctx.scene.GetSingletonNode(MODULE_NAME, "vtkMRMLScriptedModuleNode")
        if node is None:
            import slicer

            new = slicer.vtkMRMLScriptedModuleNode()
            new.SetSingletonTag(MODULE_NAME)
            new.SetAttribute("ModuleName", MODULE_NAME)  # as ScriptedLoadableModuleLogic.createParameterNode()
            new.SetName(f"{MODULE_NAME} parameters")
            node = ctx.scene.AddNode(new)
        return cls(node)

    def settings(self) -> Settings:
        """The stored settings; fields never stored (e.g. added in a newer version) keep their defaults."""
        values: dict[str, Any] = {}
        for spec in fields(Settings):
            if spec.metadata.get(NODE_REFERENCE):
                values[spec.name] = self.node.GetNodeReferenceID(spec.name) or None
            elif self.node.HasParameter(spec.name):
                values[spec.name] = _decode(self.node.GetParameter(spec.name), spec)
        return Settings(**values)

    def store(self, settings: Settings) -> None:
        """Keep ``settings`` (one Modified event); a node ID that is not in the scene is stored as no node."""
        was_modifying = self.node.StartModify()
        try:
            for spec in fields(Settings):
                value = getattr(settings, spec.name)
                if spec.metadata.get(NODE_REFERENCE):
                    known = value if value and self.node.GetScene().GetNodeByID(value) is not None else None
                    self.node.SetNodeReferenceID(spec.name, known)
                else:
                    self.node.SetParameter(spec.name, json.dumps(value))
        finally:
            self.node.EndModify(was_modifying)

    def run_report(self) -> Any | None:
        """The report table of the run the panel shows (None when there is none or it was deleted)."""
        return self.node.GetNodeReference(RUN_ROLE)

    def set_run_report(self, report: Any | None) -> None:
        self.node.SetNodeReferenceID(RUN_ROLE, report.GetID() if report is not None else None)
