"""Register the CineMA phantom as Sample Data ("CineMA" category): a SAX and a 4C cine as ``.seq.nrrd``.

The phantom is synthetic, so nothing is downloaded: on first use the cines are generated with
``CineMALib.phantom`` into the sample-data cache and Slicer's normal ``SequenceFile`` loader opens them; the
registered URIs point at those cached files (``file://``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cine_nodes import add_cine, write_sequence
from .context import SceneContext

CATEGORY = "CineMA"
SAMPLE_NAME = "CineMAPhantom"
#: Views shipped as sample data and their file/node names.
SAMPLE_VIEWS: dict[str, str] = {"sax": "CineMAPhantom-SAX", "lax_4c": "CineMAPhantom-4C"}
PHANTOM_SEED = 0


def sample_files(cache_dir: str | Path) -> dict[str, Path]:
    return {view: Path(cache_dir) / f"{name}.seq.nrrd" for view, name in SAMPLE_VIEWS.items()}


def write_phantom_cines(cache_dir: str | Path, seed: int = PHANTOM_SEED, n_frames: int = 25,
                        temp_dir: str | Path | None = None) -> dict[str, Path]:
    """Generate the phantom and write each sample view as ``.seq.nrrd`` (skips files that already exist)."""
    files = sample_files(cache_dir)
    if all(path.exists() and path.stat().st_size > 0 for path in files.values()):
        return files
    from CineMALib.phantom import generate_phantom

    phantom = generate_phantom(seed, n_frames=n_frames)
    ctx = SceneContext.headless(temp_dir or Path(cache_dir) / "CineMA-temp")
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for view, path in files.items():
        if view in phantom.study.views:
            sequence, _, _ = add_cine(ctx, phantom.study[view], SAMPLE_VIEWS[view])
            write_sequence(sequence, path)
    return {view: path for view, path in files.items() if path.exists()}


def register(sample_data_logic: Any, cache_dir: str | Path, thumbnail: str | Path | None = None) -> None:
    """Add the phantom to SampleData (``SampleData.SampleDataLogic``); files are made when first clicked."""
    files = sample_files(cache_dir)

    def generate_then_load(source: Any) -> Any:
        write_phantom_cines(cache_dir)
        return sample_data_logic().downloadFromSource(source)

    sample_data_logic.registerCustomSampleDataSource(
        category=CATEGORY, sampleName=SAMPLE_NAME,
        uris=[path.as_uri() for path in files.values()],
        fileNames=[path.name for path in files.values()],
        nodeNames=list(SAMPLE_VIEWS.values()),
        thumbnailFileName=str(thumbnail) if thumbnail else None,
        loadFileType=["SequenceFile"] * len(files),
        customDownloader=generate_then_load)
