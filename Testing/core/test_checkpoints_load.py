"""load_model on a temporary hub-layout folder of reduced models: exact predictions, metadata from config.yaml,
integrity records, and a clear error for every broken-file case. No network: the hub download is replaced."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file, save_file

from CineMALib.checkpoints import CheckpointConfigError, LoadedModel, download, get_checkpoint, integrity, load_model
from CineMALib.errors import CineMAWeightsError
from CineMALib.models import CineMA, ConvUNetR, ConvViT

SEG = "segmentation/acdc_sax"
ENC = {"enc_conv_chans": [8, 16], "enc_conv_n_blocks": 2, "enc_embed_dim": 48, "enc_depth": 2, "enc_n_heads": 3}
CONV_YAML = {"enc_conv_chans": [8, 16], "enc_conv_n_blocks": 2}
#: official schema only: 'size: tiny' comes from the ViT table (16 wide, 1 block, 2 heads)
OFFICIAL_YAML = {"size": "tiny", "enc_patch_size": [4, 4, 1], "enc_scale_factor": [2, 2, 1], **CONV_YAML}
#: CineMA extension: explicit widths override the table (the golden fixtures' 48/2/3)
REDUCED_YAML = {"size": "tiny", "enc_embed_dim": 48, "enc_depth": 2, "enc_n_heads": 3}
ENC_YAML = {**OFFICIAL_YAML, **REDUCED_YAML}
UNETR_YAML = {"dec_chans": [4, 8, 16, 32, 64], "dec_patch_size": [2, 2, 1], "dec_scale_factor": [2, 2, 1]}
MAE_YAML = {**REDUCED_YAML, **CONV_YAML, "dec_embed_dim": 32, "dec_depth": 1, "dec_n_heads": 2,
            "patch_size": [4, 4, 1], "scale_factor": [2, 2, 1]}
DATA = {"sax": {"patch_size": [64, 64, 4], "in_chans": 1}, "lax": {"patch_size": [64, 64], "in_chans": 1}}
SIZE = {"sax": (64, 64, 4), "lax_2c": (64, 64), "lax_3c": (64, 64), "lax_4c": (64, 64)}


def _per_view(views: list[str]) -> dict:
    """Explicit constructor kwargs of the reduced models (written independently of the config translator)."""
    return {
        "image_size_dict": {v: SIZE[v] for v in views},
        "in_chans_dict": {v: 1 for v in views},
        "enc_patch_size_dict": {v: (4, 4, 1)[: len(SIZE[v])] for v in views},
        "enc_scale_factor_dict": {v: (2, 2, 1)[: len(SIZE[v])] for v in views},
    }


def _unetr() -> torch.nn.Module:
    return ConvUNetR(**_per_view(["sax"]), out_chans=4, **ENC, dec_chans=[4, 8, 16, 32, 64],
                     dec_patch_size_dict={"sax": (2, 2, 1)}, dec_scale_factor_dict={"sax": (2, 2, 1)})


def _vit(view: str, n_frames: int, out: int, enc: dict | None = None) -> Callable[[], torch.nn.Module]:
    return lambda: ConvViT(**_per_view([view]), n_frames=n_frames, out_chans=out, **(enc or ENC))


def _mae() -> torch.nn.Module:
    return CineMA(**_per_view(list(SIZE)), **ENC, dec_embed_dim=32, dec_depth=1, dec_n_heads=2)


TINY = {**ENC, "enc_embed_dim": 16, "enc_depth": 1, "enc_n_heads": 2}
#: name -> (reference model factory, config.yaml content, input frames)
CASES: dict[str, tuple[Callable[[], torch.nn.Module], dict, int]] = {
    SEG: (_unetr, {"model": {"views": "sax", "out_chans": 4, "convunetr": {**ENC_YAML, **UNETR_YAML}},
                   "data": DATA}, 1),
    "classification_cvd/mnms2_lax_4c": (_vit("lax_4c", 2, 3), {
        "model": {"views": ["lax_4c"], "n_frames": 2, "convvit": {**ENC_YAML, "drop_path": 0.1}},
        "data": {**DATA, "class_column": "pathology", "pathology": ["AAA", "BBB", "CCC"]}}, 2),
    "regression_ef/acdc_sax": (_vit("sax", 2, 1), {
        "model": {"views": "sax", "n_frames": 2, "convvit": ENC_YAML},
        "data": {**DATA, "regression_column": "ef", "ef": {"mean": 50.0, "std": 5.0}}}, 2),
    "landmark_coordinate/lax_4c": (_vit("lax_4c", 1, 6, TINY), {
        "model": {"views": "lax_4c", "n_frames": 1, "out_chans": 6, "convvit": OFFICIAL_YAML},
        "data": {"lax": DATA["lax"]}}, 1),
    "pretrained": (_mae, {"model": MAE_YAML, "data": DATA}, 1),
}


def _save(model: torch.nn.Module, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, int], torch.nn.Module]]:
    """A weights folder in hub layout with reduced models and their config.yaml; the in-memory references."""
    root = tmp_path_factory.mktemp("weights")
    refs = {}
    for i, (name, (factory, config, _)) in enumerate(CASES.items()):
        entry = get_checkpoint(name)
        (root / entry.config_path).parent.mkdir(parents=True, exist_ok=True)
        (root / entry.config_path).write_text(yaml.safe_dump(config))
        for seed in (0, 1) if name == SEG else (0,):
            torch.manual_seed(100 * i + seed)
            refs[name, seed] = factory().eval()
            with torch.no_grad():  # like the golden fixtures: norms and biases must not be 1/0 everywhere
                for key, tensor in refs[name, seed].state_dict().items():
                    tensor.add_(0 if key.endswith("pos_embed") else torch.randn(tensor.shape) * 0.02)
            _save(refs[name, seed], root / entry.weights_path(seed))
    return root, refs


@pytest.fixture
def weights(hub: tuple[Path, dict], tmp_path: Path) -> Path:
    """A private copy of the folder, for tests that break files."""
    return Path(shutil.copytree(hub[0], tmp_path / "copy"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path / "cinema-cache"))
    monkeypatch.delenv(download.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(**kwargs: object) -> str:
        from huggingface_hub.errors import LocalEntryNotFoundError

        raise LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(download, "hf_hub_download", no_network)


def _inputs(name: str, n_frames: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return {v: torch.rand((1, n_frames, *SIZE[v]), generator=g) for v in get_checkpoint(name).views}


def _predict(model: torch.nn.Module, name: str, images: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        out = model.feature_forward(images) if name == "pretrained" else model(images)
    return torch.cat([t.flatten() for t in out.values()]) if isinstance(out, dict) else out


@pytest.mark.parametrize("name", list(CASES))
def test_loads_offline_and_predicts_exactly_like_the_in_memory_model(name: str, hub: tuple[Path, dict]) -> None:
    root, refs = hub
    loaded = load_model(name, weights_dir=root)
    assert isinstance(loaded, LoadedModel) and not loaded.model.training and loaded.source == "local"
    assert loaded.weights_path == root / get_checkpoint(name).weights_path(0) and loaded.seed == 0
    assert loaded.sha256 == hashlib.sha256(loaded.weights_path.read_bytes()).hexdigest()
    images = _inputs(name, CASES[name][2])
    expected = _predict(refs[name, 0], name, images)
    assert torch.equal(_predict(loaded.model, name, images), expected)
    torch.manual_seed(12345)
    assert not torch.equal(_predict(CASES[name][0]().eval(), name, images), expected)  # weights matter


def test_metadata_comes_from_config_yaml(hub: tuple[Path, dict]) -> None:
    root, _ = hub
    cvd = load_model("classification_cvd/mnms2_lax_4c", weights_dir=root)
    assert cvd.class_names == ("AAA", "BBB", "CCC")  # not the registry's 6 default classes
    assert (cvd.views, cvd.n_frames, cvd.image_size) == (("lax_4c",), 2, {"lax_4c": (64, 64)})
    ef = load_model("regression_ef/acdc_sax", weights_dir=root)
    assert (ef.regression.column, ef.regression.mean, ef.regression.std, ef.regression.unit) == ("ef", 50.0, 5.0, "%")
    assert ef.regression.denormalise(0.4) == pytest.approx(52.0)
    seg = load_model(SEG, weights_dir=root)
    assert seg.label_map == {0: "background", 1: "RV", 2: "MYO", 3: "LV"} and seg.class_names is None
    coordinate = load_model("landmark_coordinate/lax_4c", weights_dir=root)
    assert coordinate.landmarks == ("mitral_lateral", "mitral_septal", "apex")


def test_env_folder_and_seed_select_the_file(hub: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    root, refs = hub
    monkeypatch.setenv(download.WEIGHTS_ENV, str(root))
    loaded = load_model(SEG, seed=1, device="cpu")
    assert loaded.weights_path.name == "acdc_sax_1.safetensors" and loaded.seed == 1
    state = loaded.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in refs[SEG, 1].state_dict().items())
    assert not torch.equal(state["encoder.norm.weight"], refs[SEG, 0].state_dict()["encoder.norm.weight"])
    with pytest.raises(CineMAWeightsError, match=r"no seed 3; released seeds: \[0, 1, 2\]"):
        load_model(SEG, seed=3)


def _rewrite(path: Path, edit: Callable[[dict[str, torch.Tensor]], None]) -> None:
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path))


def test_tampering_after_first_load_is_detected(weights: Path) -> None:
    rel = get_checkpoint(SEG).weights_path(0)
    load_model(SEG, weights_dir=weights)
    record = json.loads(integrity.local_sidecar(weights, rel).read_text())
    assert record["size"] == (weights / rel).stat().st_size and len(record["sha256"]) == 64
    _rewrite(weights / rel, lambda t: t["encoder.norm.bias"].add_(1.0))  # same size, valid file, other numbers
    with pytest.raises(CineMAWeightsError, match="changed since it was first loaded .same size, different") as info:
        load_model(SEG, weights_dir=weights)
    assert str(weights / rel) in str(info.value) and "delete the record" in str(info.value)


def _broken(weights: Path, break_it: Callable[[Path], None], name: str = SEG) -> str:
    break_it(weights / get_checkpoint(name).weights_path(0))
    with pytest.raises(CineMAWeightsError) as info:
        load_model(name, weights_dir=weights)
    return str(info.value)


def test_truncated_file(weights: Path) -> None:
    def truncate(p: Path) -> None:
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])

    text = _broken(weights, truncate)
    assert "acdc_sax_0.safetensors: not a readable safetensors file" in text and "truncated" in text


def test_random_bytes(weights: Path) -> None:
    text = _broken(weights, lambda p: p.write_bytes(os.urandom(4096)))
    assert "not a readable safetensors file (4096 bytes" in text


def test_wrong_shape(weights: Path) -> None:
    config = weights / get_checkpoint(SEG).config_path
    config.write_text(config.read_text().replace("out_chans: 4", "out_chans: 3"))
    text = _broken(weights, lambda p: None)
    assert "2 shape mismatch(es)" in text
    assert "pred_head_dict.sax.weight: file (4, 4, 1, 1, 1) vs model (3, 4, 1, 1, 1)" in text
    assert "config.yaml belong to these weights" in text


def test_missing_key(weights: Path) -> None:
    text = _broken(weights, lambda p: _rewrite(p, lambda t: t.pop("encoder.norm.weight")))
    assert "1 missing key(s), e.g. encoder.norm.weight (48)" in text and "acdc_sax_0.safetensors" in text


def test_extra_key(weights: Path) -> None:
    text = _broken(weights, lambda p: _rewrite(p, lambda t: t.update({"extra.weight": torch.zeros(2, 3)})))
    assert "1 unexpected key(s), e.g. extra.weight (2, 3)" in text


def test_pickles_are_refused(weights: Path, hub: tuple[Path, dict]) -> None:
    def to_pt(p: Path) -> None:
        torch.save(hub[1][SEG, 0].state_dict(), p.with_suffix(".pt"))
        p.unlink()

    text = _broken(weights, to_pt)
    assert "acdc_sax_0.pt: refusing to load a PyTorch pickle" in text
    renamed = _broken(weights, lambda p: shutil.move(p.with_suffix(".pt"), p))
    assert "looks like a PyTorch pickle" in renamed


def test_missing_config(weights: Path) -> None:
    (weights / get_checkpoint(SEG).config_path).unlink()
    with pytest.raises(CineMAWeightsError, match="missing finetuned/segmentation/acdc_sax/config.yaml") as info:
        load_model(SEG, weights_dir=weights)
    assert f"{weights}/finetuned/segmentation/acdc_sax/config.yaml" in str(info.value)


def test_config_problems_are_named(weights: Path) -> None:
    config = weights / get_checkpoint(SEG).config_path
    config.write_text("model: [broken\n")
    with pytest.raises(CheckpointConfigError, match="config.yaml: not a valid YAML"):
        load_model(SEG, weights_dir=weights)
    config.write_text(yaml.safe_dump({**CASES[SEG][1], "model": {**CASES[SEG][1]["model"], "views": "lax_4c"}}))
    with pytest.raises(CineMAWeightsError, match="right config.yaml"):
        load_model(SEG, weights_dir=weights)
    reg = weights / get_checkpoint("regression_ef/acdc_sax").config_path
    reg.write_text(reg.read_text().replace("regression_column: ef", "regression_column: bmi"))
    with pytest.raises(CineMAWeightsError, match="'data.bmi.mean' is missing"):
        load_model("regression_ef/acdc_sax", weights_dir=weights)


def test_sha256sums_file_is_checked(weights: Path) -> None:
    rel = get_checkpoint(SEG).weights_path(0)
    digest = hashlib.sha256((weights / rel).read_bytes()).hexdigest()
    (weights / "SHA256SUMS").write_text(f"{digest}  {rel}\n")
    assert load_model(SEG, weights_dir=weights).sha256 == digest
    (weights / "SHA256SUMS").write_text(f"{'0' * 64}  {rel}\n")
    with pytest.raises(CineMAWeightsError, match=f"does not match {'0' * 64} listed in .*SHA256SUMS"):
        load_model(SEG, weights_dir=weights)


def test_offline_and_not_cached_prints_the_layout(tmp_path: Path) -> None:
    with pytest.raises(CineMAWeightsError) as info:
        load_model(SEG, seed=2, weights_dir=tmp_path / "empty")
    text = str(info.value)
    assert "HF_HUB_OFFLINE is set and the file is not in the hub cache" in text
    assert f"{tmp_path / 'empty'}/finetuned/segmentation/acdc_sax/config.yaml" in text
    assert f"{tmp_path / 'empty'}/finetuned/segmentation/acdc_sax/acdc_sax_2.safetensors" in text
    assert "CINEMA_WEIGHTS_DIR" in text
    assert "huggingface.co/mathpluscode/CineMA/tree/main/finetuned/segmentation/acdc_sax" in text
    with pytest.raises(CineMAWeightsError, match="<weights folder>/pretrained/cinema.safetensors"):
        load_model("pretrained")


def test_hub_download_is_recorded_then_verified(
    hub: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_download(repo_id: str, filename: str, revision: str | None = None) -> str:
        calls.append((repo_id, filename, revision))
        target = tmp_path / "hf-cache" / filename
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(hub[0] / filename, target)
        return str(target)

    monkeypatch.setattr(download, "hf_hub_download", fake_download)
    loaded = load_model(SEG)
    entry = get_checkpoint(SEG)
    assert loaded.source == "hub" and calls == [("mathpluscode/CineMA", rel, None) for rel in entry.files(0)]
    sidecar = integrity.hub_sidecar("mathpluscode/CineMA", "main", entry.weights_path(0))
    assert sidecar.is_relative_to(tmp_path / "cinema-cache")
    assert json.loads(sidecar.read_text())["sha256"] == loaded.sha256
    cached = tmp_path / "hf-cache" / entry.weights_path(0)
    cached.write_bytes(cached.read_bytes()[:-10])
    with pytest.raises(CineMAWeightsError, match=r"changed since it was first loaded \(size"):
        load_model(SEG)


def test_corrupt_hub_blob_is_caught_on_first_load(
    hub: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_download(repo_id: str, filename: str, revision: str | None = None) -> str:
        data = (hub[0] / filename).read_bytes()
        published = hashlib.sha256(data).hexdigest()
        blob = tmp_path / "blobs" / published
        blob.parent.mkdir(exist_ok=True)
        blob.write_bytes(data[:-1] + bytes([data[-1] ^ 1]) if filename.endswith(".safetensors") else data)
        link = tmp_path / "snapshots" / filename
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(blob)
        return str(link)

    monkeypatch.setattr(download, "hf_hub_download", fake_download)
    with pytest.raises(CineMAWeightsError, match="hub cache copy is corrupt") as info:
        load_model(SEG)
    assert "acdc_sax_0.safetensors" in str(info.value) and "blobs" in str(info.value)


def test_a_folder_upgraded_with_its_sha256sums_loads_and_a_stale_list_is_refused(weights: Path) -> None:
    """Files listed in the folder's SHA256SUMS answer to that list, not to a record of their first load."""
    rel = get_checkpoint(SEG).weights_path(0)
    sums = weights / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256((weights / rel).read_bytes()).hexdigest()}  {rel}\n")
    load_model(SEG, weights_dir=weights)
    assert not integrity.local_sidecar(weights, rel).exists()
    _rewrite(weights / rel, lambda t: t["encoder.norm.bias"].add_(1.0))  # the upgrade: new file ...
    with pytest.raises(CineMAWeightsError, match="listed in .*SHA256SUMS"):
        load_model(SEG, weights_dir=weights)  # ... with the old list: refused
    new = hashlib.sha256((weights / rel).read_bytes()).hexdigest()
    sums.write_text(f"{new}  {rel}\n")  # ... and its new list: loads
    assert load_model(SEG, weights_dir=weights).sha256 == new
