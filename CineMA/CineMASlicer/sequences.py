"""Sequence helpers: per-frame result nodes as a sequence that follows the cine's sequence browser.

Why: Slicer shows one frame of a cine through a browser's proxy node; adding the per-frame segmentations and
landmarks as synchronized sequences of the same browser makes them change frame with the cine, and
``SaveChanges`` writes the user's edits of the displayed frame back into the sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .context import SceneContext


def new_sequence(ctx: SceneContext, name: str, items: Sequence[Any], index_values: Sequence[str],
                 index_name: str = "time", index_unit: str = "") -> Any:
    """A sequence node in the scene holding copies of ``items`` at ``index_values``."""
    if len(items) != len(index_values):
        raise ValueError(f"{len(items)} items for {len(index_values)} index values")
    sequence = ctx.scene.AddNewNodeByClass("vtkMRMLSequenceNode", name)
    sequence.SetIndexName(index_name)
    sequence.SetIndexUnit(index_unit)
    for item, value in zip(items, index_values):
        sequence.SetDataNodeAtValue(item, str(value))
    return sequence


def new_browser(ctx: SceneContext, master: Any, name: str) -> Any:
    """A browser whose master is ``master`` (used when the cine had none, e.g. a MultiVolume input)."""
    browser = ctx.scene.AddNewNodeByClass("vtkMRMLSequenceBrowserNode", name)
    browser.SetAndObserveMasterSequenceNodeID(master.GetID())
    ctx.update_proxies(browser)
    return browser


def synchronize(ctx: SceneContext, browser: Any, sequence: Any, proxy_name: str) -> Any:
    """Add ``sequence`` to ``browser`` (edits saved back, name kept) and return its proxy node."""
    if not browser.IsSynchronizedSequenceNode(sequence.GetID(), True):
        browser.AddSynchronizedSequenceNodeID(sequence.GetID())
    browser.SetSaveChanges(sequence, True)
    browser.SetOverwriteProxyName(sequence, False)
    ctx.update_proxies(browser)
    proxy = browser.GetProxyNode(sequence)
    if proxy is not None:
        proxy.SetName(proxy_name)
    return proxy


def flush_edits(ctx: SceneContext, browser: Any | None, proxy: Any | None) -> None:
    """Copy the displayed frame's edits from the proxy into its sequence before the sequence is read."""
    if browser is not None and proxy is not None:
        ctx.sequences_logic.UpdateSequencesFromProxyNodes(browser, proxy)


def browser_of(ctx: SceneContext, sequence: Any) -> Any | None:
    return ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(sequence)
