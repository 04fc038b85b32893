"""Short queries on onnxruntime: the sentence-transformers model exported to ONNX, for the request path.

A suggestion for a memo never seen before embeds one short text. torch spends most of that call on
per-operator dispatch; onnxruntime runs the same graph in half the time (measured on this 2-core
machine, one thread, tokenizer included: 14.0 ms vs 7.3 ms p50 per text, eval/RESULTS.md section
bench-suggest-demo), with the same vectors (largest difference 2e-7). Large batches (ingest) stay on
torch, which is as fast there.

The model is exported once per data directory (``<cache>/<model>.onnx``, about 90 MB, ~2 s) from the
weights already on disk, checked against torch on probe texts, and only then used. Anything else (a
model that is not BERT-like with mean pooling, onnxruntime missing, an export that does not match)
leaves the embedder on torch, with the reason logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

PROBES = ["Delta Air Lines | airfare client visit Boston", "AWS | EC2 hosting March", "toner",
          "Pret A Manger | team lunch sandwiches for the sales offsite in the London office"]
MAX_DIFFERENCE = 1e-4  # per vector component, against torch (unit vectors)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxQueryEncoder:
    def __init__(self, session, tokenizer, max_length: int) -> None:
        self.session, self.tokenizer, self.max_length = session, tokenizer, max_length
        self._wanted = [i.name for i in session.get_inputs()]

    @classmethod
    def open(cls, model_path: Path, onnx_path: Path, load_torch: Callable[[], Any]) -> "OnnxQueryEncoder | None":
        """The encoder for ``model_path``, exporting it to ``onnx_path`` first if needed; None if not possible."""
        try:
            max_length = _supported(model_path)
            import onnxruntime  # noqa: F401 - a missing runtime means torch, said once
            from transformers import AutoTokenizer
        except (ImportError, ValueError) as exc:
            log.info("short queries stay on torch: %s", exc)
            return None
        tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        fresh = not onnx_path.exists()
        if fresh:
            try:
                _export(load_torch(), onnx_path)
            except Exception as exc:  # noqa: BLE001 - any exporter failure: keep serving on torch
                log.warning("could not export %s to ONNX (%s); short queries stay on torch", model_path, exc)
                onnx_path.unlink(missing_ok=True)
                return None
        try:
            encoder = cls(_session(onnx_path), tokenizer, max_length)
        except Exception as exc:  # noqa: BLE001 - a damaged file: drop it (exported again next start), use torch
            log.warning("could not open %s (%s); short queries stay on torch", onnx_path, exc)
            onnx_path.unlink(missing_ok=True)
            return None
        if fresh:
            model = load_torch()
            want = _unit(np.asarray(model.encode(PROBES, convert_to_numpy=True, show_progress_bar=False),
                                    dtype=np.float32))
            diff = float(np.abs(encoder.encode(PROBES) - want).max())
            if not diff <= MAX_DIFFERENCE:
                log.warning("ONNX export of %s differs from torch by %.2g; short queries stay on torch",
                            model_path, diff)
                onnx_path.unlink(missing_ok=True)
                return None
        return encoder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, as SentenceTransformer.encode + normalisation gives them (mean pooling)."""
        # As sentence-transformers tokenizes: stripped texts, longest first truncation at max_seq_length.
        batch = self.tokenizer([str(t).strip() for t in texts], padding=True, truncation="longest_first",
                               max_length=self.max_length, return_tensors="np")
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self._wanted if name in batch}
        if "token_type_ids" in self._wanted and "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        tokens = self.session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return _unit(pooled.astype(np.float32))


def _supported(model_path: Path) -> int:
    """max_seq_length of a Transformer + mean Pooling (+ Normalize) model; ValueError otherwise."""
    try:
        modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        config = json.loads((model_path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{model_path} is not a sentence-transformers model directory ({exc})") from None
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ValueError(f"{model_path}: modules {kinds} (only Transformer + Pooling [+ Normalize] are exported)")
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"{model_path}: pooling {modes} (only mean pooling is exported)")
    return int(config.get("max_seq_length") or 512)


def _export(model, onnx_path: Path) -> None:
    import torch

    bert = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    sample = model[0].tokenizer(["an example"], return_tensors="pt")
    args = tuple(sample.get(name, torch.zeros_like(sample["input_ids"])) for name in _INPUTS)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_name(f"{onnx_path.name}.{os.getpid()}.tmp")
    import warnings

    with warnings.catch_warnings():  # the TorchScript exporter's deprecation and tracer notes
        warnings.simplefilter("ignore")
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(LastHiddenState(), args, str(tmp), input_names=list(_INPUTS),
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in (*_INPUTS, "last_hidden_state")})
    tmp.replace(onnx_path)  # a reader never sees half a file


def _session(onnx_path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread and no spinning: a query is tiny, and the other core serves another request.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
