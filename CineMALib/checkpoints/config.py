"""A checkpoint's ``config.yaml`` -> the model class's constructor kwargs, read the way the official loaders read it.

Why a re-implementation: the released ``config.yaml`` files are OmegaConf/Hydra configs consumed by the official
``get_model`` factories (``cinema.convvit``, ``cinema.segmentation.convunetr``, ``cinema.mae.mae``). We read the same
fields from a plain dict (``yaml.safe_load``) so reduced configs load too, and every missing or ill-typed field is
reported by name instead of as an OmegaConf traceback.

Supported schema (field -> used for):

- ConvViT: ``model.views`` (str or list), ``model.n_frames``, ``model.convvit.{size, enc_patch_size,
  enc_scale_factor, enc_conv_chans, enc_conv_n_blocks, drop_path}``; ``data.sax|lax.{patch_size, in_chans}``;
  ``out_chans`` = ``len(data[data.class_column])`` if ``data.class_column`` is set, else 1 if
  ``data.regression_column`` is set, else ``model.out_chans``.
- ConvUNetR: ``model.views``, ``model.out_chans``, ``model.convunetr.{size, enc_patch_size, enc_scale_factor,
  enc_conv_chans, enc_conv_n_blocks, dec_chans, dec_patch_size, dec_scale_factor, dropout, drop_path}``; per view
  ``data.sax`` (sax) else ``data.lax`` if present else ``data.<view>``, each ``{patch_size, in_chans}``.
- CineMA (MAE): always views sax, lax_2c, lax_3c, lax_4c; ``model.{size, patch_size, scale_factor, enc_conv_chans,
  enc_conv_n_blocks}``; ``data.sax|lax.{patch_size, in_chans}``.

Per-view lists are sliced to the view's dimensionality (3 for sax, 2 for lax). ``size`` is one of tiny/base/large/
huge (the official ViT table). CineMA extension: ``enc_embed_dim``, ``enc_depth``, ``enc_n_heads`` (and for the MAE
``dec_embed_dim``, ``dec_depth``, ``dec_n_heads``) next to ``size`` override the table, so reduced test models can be
described. ``dropout``/``drop_path`` are training-only and default to 0.0 when absent; ``grad_ckpt`` is ignored.
Deviations from the official reader: a null ``class_column``/``regression_column`` counts as absent, and ConvViT
also accepts ``data.<view>`` when ``data.lax`` is missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from CineMALib.errors import CineMAWeightsError

VIEWS: tuple[str, ...] = ("sax", "lax_2c", "lax_3c", "lax_4c")
MODEL_CLASSES: tuple[str, ...] = ("ConvUNetR", "ConvViT", "CineMA")
#: The official ViT size table (``cinema.vit.get_vit_config``).
VIT_SIZES: dict[str, dict[str, int]] = {
    size: dict(zip(("enc_embed_dim", "enc_depth", "enc_n_heads", "dec_embed_dim", "dec_depth", "dec_n_heads"), dims))
    for size, dims in {
        "tiny": (16, 1, 2, 16, 1, 2),
        "base": (768, 12, 12, 512, 8, 16),
        "large": (1024, 24, 16, 512, 8, 16),
        "huge": (1280, 32, 16, 512, 8, 16),
    }.items()
}
_SECTION = {"ConvViT": "model.convvit", "ConvUNetR": "model.convunetr", "CineMA": "model"}


class CheckpointConfigError(CineMAWeightsError):
    """A config.yaml (or the registry's default config) cannot describe a model; names the file and the field."""


@dataclass(frozen=True)
class ModelSpec:
    """What a config says: the class, its constructor kwargs, and how to read its outputs."""

    class_name: str
    kwargs: dict[str, Any]
    views: tuple[str, ...]
    n_frames: int
    class_column: str | None = None
    class_names: tuple[str, ...] | None = None
    regression_column: str | None = None
    regression_mean: float | None = None
    regression_std: float | None = None

    @property
    def image_size(self) -> dict[str, tuple[int, ...]]:
        """Model input size per view (the grid inputs are padded to)."""
        return dict(self.kwargs["image_size_dict"])


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a config.yaml safely (no object construction); errors name the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointConfigError(f"{path}: cannot read the checkpoint config ({exc})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CheckpointConfigError(
            f"{path}: not a valid YAML config ({exc}); replace it with the released config.yaml"
        ) from exc
    if not isinstance(data, dict):
        raise CheckpointConfigError(
            f"{path}: expected a YAML mapping with 'model' and 'data' sections, got {type(data).__name__}"
        )
    return data


class _Reader:
    """Dotted-path access to a nested dict with errors that name the source and the field."""

    def __init__(self, config: Mapping[str, Any], source: str, class_name: str) -> None:
        self.config, self.source, self.class_name = config, source, class_name

    def fail(self, field: str, problem: str) -> CheckpointConfigError:
        return CheckpointConfigError(f"{self.source}: field '{field}' {problem} (needed to build {self.class_name})")

    def has(self, field: str) -> bool:
        return self.get(field, None) is not None

    def get(self, field: str, default: Any = ...) -> Any:
        node: Any = self.config
        for part in field.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is ...:
                    raise self.fail(field, "is missing")
                return default
            node = node[part]
        return node

    def integer(self, field: str, minimum: int = 1) -> int:
        value = self.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(field, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def integers(self, field: str, min_len: int = 1) -> list[int]:
        value = self.get(field)
        ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) >= min_len
        if not ok or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
            raise self.fail(field, f"must be a list of at least {min_len} positive integers, got {value!r}")
        return list(value)

    def number(self, field: str, default: float | None = None, positive: bool = False) -> float:
        value = self.get(field, default if default is not None else ...)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(field, f"must be a finite number, got {value!r}")
        if positive and value <= 0:
            raise self.fail(field, f"must be > 0, got {value!r}")
        return float(value)


def _views(r: _Reader) -> tuple[str, ...]:
    raw = r.get("model.views")
    views = [raw] if isinstance(raw, str) else raw
    if not isinstance(views, list) or not views or any(v not in VIEWS for v in views) or len(set(views)) != len(views):
        raise r.fail("model.views", f"must be one of {VIEWS} or a list of distinct ones, got {raw!r}")
    return tuple(views)


def _view_data(r: _Reader, view: str) -> str:
    """Field prefix of a view's data section: data.sax, else data.lax when present, else data.<view>."""
    if view == "sax":
        return "data.sax"
    return "data.lax" if r.has("data.lax") else f"data.{view}"


def _vit(r: _Reader, section: str, decoder: bool) -> dict[str, int]:
    """Encoder (and decoder) widths: the size table, overridden field by field by explicit values."""
    names = ["enc_embed_dim", "enc_depth", "enc_n_heads"]
    names += ["dec_embed_dim", "dec_depth", "dec_n_heads"] if decoder else []
    size = r.get(f"{section}.size", None)
    if size is not None and size not in VIT_SIZES:
        raise r.fail(f"{section}.size", f"must be one of {sorted(VIT_SIZES)}, got {size!r}")
    base = VIT_SIZES.get(size, {})
    out = {}
    for name in names:
        if r.has(f"{section}.{name}"):
            out[name] = r.integer(f"{section}.{name}")
        elif name in base:
            out[name] = base[name]
        else:
            raise r.fail(f"{section}.size", "is missing (or give enc_embed_dim/enc_depth/enc_n_heads explicitly)")
    for prefix in ("enc", "dec") if decoder else ("enc",):
        if out[f"{prefix}_embed_dim"] % out[f"{prefix}_n_heads"]:
            raise r.fail(f"{section}.{prefix}_n_heads", f"must divide {prefix}_embed_dim {out[f'{prefix}_embed_dim']}")
    return out


def _per_view(r: _Reader, views: Sequence[str], field: str) -> dict[str, tuple[int, ...]]:
    """A list field sliced to each view's dimensionality (3 for sax, 2 otherwise), as tuples."""
    values = r.integers(field, min_len=3 if "sax" in views else 2)
    return {v: tuple(values[: 3 if v == "sax" else 2]) for v in views}


def _image_and_chans(r: _Reader, views: Sequence[str]) -> tuple[dict[str, tuple[int, ...]], dict[str, int]]:
    image, chans = {}, {}
    for view in views:
        prefix = _view_data(r, view)
        size = r.integers(f"{prefix}.patch_size", min_len=3 if view == "sax" else 2)
        ndim = 3 if view == "sax" else 2
        if len(size) != ndim:
            raise r.fail(f"{prefix}.patch_size", f"must have {ndim} entries for view {view}, got {size}")
        image[view] = tuple(size)
        chans[view] = r.integer(f"{prefix}.in_chans")
    return image, chans


def _outputs(r: _Reader) -> dict[str, Any]:
    """Class names or regression normalisation, read like the official example scripts read them."""
    out: dict[str, Any] = {}
    column = r.get("data.class_column", None)
    if column is not None:
        names = r.get(f"data.{column}")
        if not isinstance(names, list) or not names or any(isinstance(n, (dict, list)) or n is None for n in names):
            raise r.fail(f"data.{column}", f"must be the non-empty list of class names, got {names!r}")
        out.update(class_column=str(column), class_names=tuple(str(n) for n in names))
        return out
    column = r.get("data.regression_column", None)
    if column is not None:
        out.update(
            regression_column=str(column),
            regression_mean=r.number(f"data.{column}.mean"),
            regression_std=r.number(f"data.{column}.std", positive=True),
        )
    return out


def model_spec_from_config(class_name: str, config: Mapping[str, Any], source: str) -> ModelSpec:
    """Translate a config.yaml dict into the constructor kwargs of ``class_name`` (exactly the official fields)."""
    if class_name not in MODEL_CLASSES:
        raise CheckpointConfigError(f"{source}: unknown model class {class_name!r}; expected one of {MODEL_CLASSES}")
    r = _Reader(config, source, class_name)
    sec = _SECTION[class_name]
    views = VIEWS if class_name == "CineMA" else _views(r)
    image, chans = _image_and_chans(r, views)
    patch = "patch_size" if class_name == "CineMA" else "enc_patch_size"
    scale = "scale_factor" if class_name == "CineMA" else "enc_scale_factor"
    kwargs: dict[str, Any] = {"image_size_dict": image, "in_chans_dict": chans}
    outputs: dict[str, Any] = {}
    n_frames = 1
    if class_name == "ConvViT":
        n_frames = r.integer("model.n_frames")
        outputs = _outputs(r)
        if "class_names" in outputs:
            out_chans = len(outputs["class_names"])
        elif "regression_column" in outputs:
            out_chans = 1
        else:
            out_chans = r.integer("model.out_chans")
        kwargs.update(n_frames=n_frames, out_chans=out_chans)
    elif class_name == "ConvUNetR":
        kwargs["out_chans"] = r.integer("model.out_chans")
    kwargs.update(
        enc_patch_size_dict=_per_view(r, views, f"{sec}.{patch}"),
        enc_scale_factor_dict=_per_view(r, views, f"{sec}.{scale}"),
        enc_conv_chans=r.integers(f"{sec}.enc_conv_chans"),
        enc_conv_n_blocks=r.integer(f"{sec}.enc_conv_n_blocks"),
    )
    kwargs.update(_vit(r, sec, decoder=class_name == "CineMA"))
    if class_name == "ConvUNetR":
        kwargs.update(
            dec_chans=r.integers(f"{sec}.dec_chans"),
            dec_patch_size_dict=_per_view(r, views, f"{sec}.dec_patch_size"),
            dec_scale_factor_dict=_per_view(r, views, f"{sec}.dec_scale_factor"),
            dropout=r.number(f"{sec}.dropout", default=0.0),
        )
    if class_name != "CineMA":
        kwargs["drop_path"] = r.number(f"{sec}.drop_path", default=0.0)
    return ModelSpec(class_name=class_name, kwargs=kwargs, views=tuple(views), n_frames=n_frames, **outputs)
