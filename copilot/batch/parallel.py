"""Suggest a large import's chunks in worker processes, so the import uses every core.

    pool = SuggestPool.start(engine, workers=2)
    future = pool.submit(requests)        # a chunk's SuggestionRequests
    answers = future.result()             # what engine.suggest_many(requests, return_errors=True) answers
    pool.close()

The importing process keeps what cannot be shared: the embedding model and the embedded vector store
(single-process). For each chunk it embeds the distinct texts and fetches their policy clauses, and
the worker runs the rest of ``Engine.suggest_many`` (similar postings, candidates, scoring,
explanations) on them: the answers are those of the importing process, computed elsewhere.

Workers are spawned, not forked: sklearn's tree predictor and torch run on OpenMP (libgomp), which
hangs in a child forked after the parent used it. Each worker loads the company model from its file
(the model's own file when the importing process holds it unchanged, else a copy written for the
batch) and the similar-posting snapshot, whose vectors it memory-maps: every worker shares one copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

import numpy as np

from copilot.domain import Evidence, SuggestionRequest
from copilot.errors import CopilotError

_engine = None  # the worker's Engine, built once by _start_worker


class WorkerFailed(CopilotError):
    """A worker process died or could not start; the chunks it held were not committed."""

    code = "batch-worker-failed"
    status = 500
    exit_code = 1


def worker_count(setting: int) -> int:
    """``batch_workers``: 0 means one per core the process may use."""
    if setting > 0:
        return setting
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class SuggestPool:
    def __init__(self, engine, executor: ProcessPoolExecutor, workdir: Path, workers: int) -> None:
        self.engine, self.executor, self.workdir, self.workers = engine, executor, workdir, workers

    @classmethod
    def start(cls, engine, *, workers: int, neighbours, settings, tmp_dir: Path | None = None) -> "SuggestPool":
        """``neighbours``: the SnapshotNeighbours the workers search (exported for them)."""
        workdir = Path(tempfile.mkdtemp(prefix="copilot-batch-", dir=tmp_dir))
        try:
            neighbours.export(workdir / "neighbours", engine.model.company.entities)
            model_file = _model_file(engine.model, workdir)
            worker_settings = settings.model_copy(update={"llm_model": None})  # batch text is deterministic
            executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=get_context("spawn"), initializer=_start_worker,
                initargs=(worker_settings, str(model_file), str(workdir / "neighbours"), engine.k, engine.top_k,
                          engine.policies is not None))
            # Start every worker now (the executor would start them on demand): they load the model
            # while this process validates the file and prepares the first chunks.
            for _ in range(workers):
                executor.submit(_ready)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(engine, executor, workdir, workers)

    @property
    def depth(self) -> int:
        """Chunks to keep in flight: one per worker, plus one being prepared while they work."""
        return self.workers + 1

    def submit(self, requests: Sequence[SuggestionRequest]) -> Future:
        engine = self.engine
        texts = list(dict.fromkeys(engine.text_for(r) for r in requests))
        vectors = dict(zip(texts, engine.embedder.embed(texts))) if texts else {}
        policies = _policies(engine, texts, vectors) if engine.policies is not None else None
        return self.executor.submit(_suggest, list(requests), vectors, policies)

    @staticmethod
    def result(future: Future) -> list:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise WorkerFailed(f"a batch worker process stopped unexpectedly ({exc}); nothing after the last "
                               "committed chunk was written; rerun with --resume") from exc

    def close(self) -> None:
        """Stop the workers (running chunks are abandoned: they were not committed) and delete the files."""
        # concurrent.futures has no terminate(); its process table is the only handle on the workers.
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:  # an interrupted import must not wait for chunks nobody will commit
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _model_file(model, workdir: Path) -> Path:
    """The model's own file if this process holds it unchanged, else a copy of what it holds."""
    source = model.info.get("_file")
    if source:
        path, mtime = Path(source[0]), source[1]
        try:
            if path.stat().st_mtime == mtime:
                return path
        except OSError:
            pass
    copy = workdir / "model.pkl"
    model.save(copy)
    return copy


def _policies(engine, texts: list[str], vectors: dict[str, np.ndarray]) -> dict[str, list[Evidence]]:
    """Each text's policy clauses, as suggest_many fetches them (one batched query when possible)."""
    if not texts:
        return {}
    if engine.policies_many is not None:
        found = engine.policies_many(engine.model.name, np.stack([vectors[t] for t in texts]), 2)
        return dict(zip(texts, found))
    return {t: engine.policies(engine.model.name, vectors[t], 2) for t in texts}


# ------------------------------------------------------------------------------------ in the worker

class _NoEmbedder:
    """Every text of a chunk comes embedded: a worker holds no embedding model."""

    def embed(self, texts):
        raise WorkerFailed(f"batch worker was asked to embed {len(texts)} texts the importing process did not send")


def _no_policies(*_):
    raise WorkerFailed("batch worker was asked for policy clauses the importing process did not send")


def _start_worker(settings, model_file: str, neighbours_dir: str, k: int, top_k: int, with_policies: bool) -> None:
    global _engine
    from copilot.engine.engine import Engine
    from copilot.engine.model import CompanyModel
    from copilot.engine.neighbours import SnapshotNeighbours
    from copilot.llm.explain import Explainer

    _engine = Engine(CompanyModel.load(Path(model_file)), _NoEmbedder(), SnapshotNeighbours.load(Path(neighbours_dir)),
                     explainer=Explainer(settings), policies=_no_policies if with_policies else None,
                     k=k, top_k=top_k)


def _ready() -> None:
    pass


def _suggest(requests: list[SuggestionRequest], vectors: dict[str, np.ndarray],
             policies: dict[str, list[Evidence]] | None) -> list:
    return _engine.suggest_many(requests, return_errors=True, vectors=vectors, policies=policies)
