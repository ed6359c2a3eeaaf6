"""Reading ``.safetensors`` weights and loading them strictly, with errors that say exactly what does not fit.

Never unpickles: ``.pt``/``.pth``/``.bin``/``.ckpt``/``.pkl`` files are refused (a pickle can run arbitrary code).
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from torch import nn

from CineMALib.errors import CineMAWeightsError

PICKLE_SUFFIXES: tuple[str, ...] = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar")
_SHOW = 5


def refuse_pickle(path: Path) -> None:
    """Raise for anything but a ``.safetensors`` file, explaining why pickles are not loaded."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise CineMAWeightsError(
            f"{path}: refusing to load a PyTorch pickle ({path.suffix}); unpickling can run arbitrary code. "
            "Use the released .safetensors file, or convert a checkpoint you trust with "
            "safetensors.torch.save_file(state_dict, 'model.safetensors')."
        )
    if path.suffix.lower() != ".safetensors":
        raise CineMAWeightsError(f"{path}: weights must be a .safetensors file")


def _sniff(path: Path) -> str:
    """A hint when a file that fails to parse is really something else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return ""
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return " It looks like a PyTorch pickle (torch.save) renamed to .safetensors, which is refused."
    if head.startswith((b"<", b"version https://git-lfs")):
        return " It looks like an HTML page or a Git LFS pointer, not the weights themselves."
    return ""


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file on CPU; unreadable, truncated or corrupt files raise with advice."""
    refuse_pickle(path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            return {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - SafetensorError, OSError, ... all mean the same to a user
        size = path.stat().st_size if path.exists() else 0
        raise CineMAWeightsError(
            f"{path}: not a readable safetensors file ({size} bytes; {type(exc).__name__}: {exc}). It is corrupt or "
            f"truncated (an interrupted download or copy?); delete it and fetch it again.{_sniff(path)}"
        ) from exc


def _shape(shape: torch.Size | tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def state_dict_problems(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]]) -> list[str]:
    """Human-readable differences between the model's key->shape table and the file's (a few of each kind)."""
    missing = [k for k in expected if k not in found]
    extra = [k for k in found if k not in expected]
    wrong = [k for k in expected if k in found and tuple(found[k]) != tuple(expected[k])]
    problems = []
    if missing:
        shown = ", ".join(f"{k} {_shape(expected[k])}" for k in missing[:_SHOW])
        problems.append(f"{len(missing)} missing key(s), e.g. {shown}")
    if extra:
        shown = ", ".join(f"{k} {_shape(found[k])}" for k in extra[:_SHOW])
        problems.append(f"{len(extra)} unexpected key(s), e.g. {shown}")
    if wrong:
        problems.append(
            f"{len(wrong)} shape mismatch(es), e.g. "
            + ", ".join(f"{k}: file {_shape(found[k])} vs model {_shape(expected[k])}" for k in wrong[:_SHOW])
        )
    return problems


def load_state_strict(model: nn.Module, path: Path, config_path: Path | None = None) -> nn.Module:
    """Load every tensor of ``path`` into ``model``; any missing/extra key or shape difference is an error.

    ``model`` may live on the meta device (built without allocating or initialising): the file's tensors are then
    assigned in place of its parameters, cast to the model's dtypes. Returns the loaded model.
    """
    tensors = read_safetensors(path)
    own = model.state_dict()
    expected = {k: tuple(v.shape) for k, v in own.items()}
    problems = state_dict_problems(expected, {k: tuple(v.shape) for k, v in tensors.items()})
    if problems:
        hint = f" Does {config_path} belong to these weights?" if config_path else ""
        raise CineMAWeightsError(
            f"{path}: weights do not fit the {type(model).__name__} built from its config: " + "; ".join(problems)
            + f".{hint} Use the config.yaml released next to this file."
        )
    for key in list(tensors):  # fresh, aligned storage (safetensors' is not 64-byte aligned: SIMD paths differ)
        tensors[key] = tensors[key].to(own[key].dtype).clone()
    try:
        model.load_state_dict(tensors, strict=True, assign=True)
    except RuntimeError as exc:
        raise CineMAWeightsError(f"{path}: cannot load into {type(model).__name__}: {exc}") from exc
    return model


def on_meta(model: nn.Module) -> bool:
    """Whether any parameter or buffer is still a meta tensor (not covered by the state dict)."""
    return any(t.is_meta for t in [*model.parameters(), *model.buffers()])
