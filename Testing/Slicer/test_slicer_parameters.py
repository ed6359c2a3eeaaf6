"""The parameter node keeps every panel setting (node references for the cines) through save, reload and import."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import dataclasses

import pytest
from CineMASlicer.settings import NODE_REFERENCE, Settings, node_fields
from slicer_synthetic import study_and_results

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer


def _changed_value(spec: dataclasses.Field, node_id: str):
    """A value different from the field's default, chosen from its annotation (so new fields are covered too)."""
    kind = str(spec.type)
    if spec.metadata.get(NODE_REFERENCE):
        return node_id
    if kind == "bool":
        return not spec.default
    for name, value in (("float", 123.5), ("int", 7), ("str", "changed")):
        if name in kind:
            return value
    pytest.fail(f"no test value for Settings.{spec.name} ({kind}); extend _changed_value")


def _volume(ctx, name):
    return ctx.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", name)


def _all_changed(ctx) -> Settings:
    values = {}
    for spec in dataclasses.fields(Settings):
        values[spec.name] = _changed_value(spec, _volume(ctx, f"{spec.name} cine").GetID())
        assert values[spec.name] != spec.default
    return Settings(**values)


def test_every_field_round_trips_and_is_one_singleton(ctx):
    from CineMASlicer.parameters import ParameterNode

    assert ParameterNode.of(ctx).settings() == Settings()  # a new scene: the defaults
    chosen = _all_changed(ctx)
    ParameterNode.of(ctx).store(chosen)
    assert ParameterNode.of(ctx).settings() == chosen
    assert ctx.scene.GetNodesByClass("vtkMRMLScriptedModuleNode").GetNumberOfItems() == 1
    node = ParameterNode.of(ctx).node
    assert (node.GetSingletonTag(), node.GetAttribute("ModuleName")) == ("CineMA", "CineMA")  # Slicer's convention
    assert {node.GetNodeReferenceID(name) for name in node_fields()} == {getattr(chosen, n) for n in node_fields()}


def test_deleted_cine_is_no_longer_chosen_and_unknown_ids_are_not_stored(ctx):
    from CineMASlicer.parameters import ParameterNode

    params = ParameterNode.of(ctx)
    sax, lax = _volume(ctx, "sax"), _volume(ctx, "lax")
    params.store(Settings(sax=sax.GetID(), lax_4c="vtkMRMLScalarVolumeNode999"))
    assert params.settings().lax_4c is None
    ctx.scene.RemoveNode(sax)
    assert params.settings().sax is None
    params.store(Settings(sax=lax.GetID()))
    assert params.settings().sax == lax.GetID()


def test_unparsable_or_missing_values_fall_back_to_defaults(ctx):
    from CineMASlicer.parameters import ParameterNode

    params = ParameterNode.of(ctx)
    params.store(Settings(device="cpu", fast=False))
    params.node.SetParameter("device", "{not json")
    params.node.UnsetParameter("fast")
    assert params.settings() == Settings()


def test_saved_scene_reopens_with_the_same_choices_and_run(ctx, tmp_path):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.context import SceneContext
    from CineMASlicer.parameters import ParameterNode

    study, _ = study_and_results()
    proxies = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    report = ctx.scene.AddNewNodeByClass("vtkMRMLTableNode", "CineMA report")
    chosen = Settings(sax=proxies["sax"].GetID(), lax_4c=proxies["lax_4c"].GetID(), height_cm=172.0,
                      weights="demo", seed=None, device="cpu", fast=False)
    params = ParameterNode.of(ctx)
    params.store(chosen)
    params.set_run_report(report)
    bundle = tmp_path / "scene.mrb"
    assert ctx.scene.WriteToMRB(str(bundle))

    fresh = SceneContext.headless(tmp_path / "fresh")
    try:
        for i in range(5):  # nodes already in the scene, so the loaded IDs clash and are renamed
            _volume(fresh, f"other {i}")
        ParameterNode.of(fresh).store(Settings(weights="official"))  # the panel was open before loading
        assert fresh.scene.ReadFromMRB(str(bundle))
        reopened = ParameterNode.of(fresh)
        settings = reopened.settings()
        assert fresh.scene.GetNodeByID(settings.sax).GetName() == "sax cine"
        assert fresh.scene.GetNodeByID(settings.lax_4c).GetName() == "lax_4c cine"
        assert settings.lax_2c is None
        assert dataclasses.replace(settings, sax=chosen.sax, lax_4c=chosen.lax_4c) == chosen
        assert reopened.run_report().GetName() == "CineMA report"
        assert fresh.scene.GetNodesByClass("vtkMRMLScriptedModuleNode").GetNumberOfItems() == 1
    finally:
        fresh.scene.Clear(1)
