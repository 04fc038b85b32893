"""Code a large import's chunks in worker processes, so the import uses every core.

    pool = SuggestPool.start(coder, workers=2, neighbours=snapshot, settings=settings)
    future = pool.submit(lines, visible)  # a chunk's BatchLines
    result = pool.result(future)          # what coder.code(lines, visible) gives, slimmed for transport
    pool.close()

The importing process keeps what cannot be shared: the embedding model and the embedded vector store
(single-process). For each chunk it embeds the distinct texts and fetches their policy clauses; the
worker does the rest (similar postings, candidates, scoring, validation, explanations) with a copy of
the importing process's ChunkCoder, so a chunk's outcomes do not depend on where it was coded.

Workers are spawned, not forked: sklearn's tree predictor and torch run on OpenMP (libgomp), which
hangs in a child forked after the parent used it. Each worker loads the company model from its file
(the model's own file when the importing process holds it unchanged, else a copy written for the
batch), the coder (validation rules and history profile included) and the similar-posting snapshot,
whose vectors it memory-maps: every worker shares one copy.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from copilot.domain import Evidence
from copilot.errors import CopilotError

_coder = None  # the worker's ChunkCoder, built once by _start_worker


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
    POLICY_CACHE = 200_000  # texts whose policy clauses are kept between chunks

    def __init__(self, coder, executor: ProcessPoolExecutor, workdir: Path, workers: int) -> None:
        self.coder, self.executor, self.workdir, self.workers = coder, executor, workdir, workers
        # A text's clauses do not change during an import, and recurring bills repeat across chunks.
        self._policies: dict[str, list[Evidence]] = {}

    @classmethod
    def start(cls, coder, *, workers: int, neighbours, settings, tmp_dir: Path | None = None) -> "SuggestPool":
        """``neighbours``: the SnapshotNeighbours the workers search (exported for them)."""
        engine = coder.engine
        workdir = Path(tempfile.mkdtemp(prefix="copilot-batch-", dir=tmp_dir))
        try:
            neighbours.export(workdir / "neighbours", engine.model.company.entities)
            model_file = _model_file(engine.model, workdir)
            with open(workdir / "coder.pkl", "wb") as fh:  # everything but the engine, rebuilt there
                pickle.dump({**coder.__dict__, "engine": None}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            worker_settings = settings.model_copy(update={"llm_model": None})  # batch text is deterministic
            executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=get_context("spawn"), initializer=_start_worker,
                initargs=(worker_settings, str(model_file), str(workdir), engine.k, engine.top_k,
                          engine.policies is not None))
            # Start every worker now (the executor would start them on demand): they load the model
            # while this process prepares the first chunks. Ctrl-C is for the importing process (it
            # stops the workers and says how to resume); a worker started ignoring it prints no traceback.
            with _sigint_ignored():
                for _ in range(workers):
                    executor.submit(_ready)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(coder, executor, workdir, workers)

    @property
    def depth(self) -> int:
        """Chunks to keep in flight: one per worker, plus one being prepared while they work."""
        return self.workers + 1

    def submit(self, lines: list, visible: list[bool]) -> Future:
        engine = self.coder.engine
        texts = list(dict.fromkeys(self.coder.texts(lines, visible)))
        vectors = dict(zip(texts, engine.embedder.embed(texts))) if texts else {}
        policies = None
        if engine.policies is not None:
            known = self._policies
            new = [t for t in texts if t not in known]
            if len(known) + len(new) > self.POLICY_CACHE:
                known.clear()
                new = texts
            known.update(_policies(engine, new, vectors))
            policies = {t: known[t] for t in texts}
        return self.executor.submit(_code, lines, visible, vectors, policies)

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


@contextmanager
def _sigint_ignored():
    """SIGINT ignored while workers are spawned (they inherit it); only the main thread may set it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


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


def _start_worker(settings, model_file: str, workdir: str, k: int, top_k: int, with_policies: bool) -> None:
    global _coder
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the importing process stops the workers
    # One thread per worker: the workers are the parallelism (BLAS and torch threads would contend).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch  # the snapshot's top-k; imported here so that its pool is limited too

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    from copilot.batch.coder import ChunkCoder
    from copilot.engine.engine import Engine
    from copilot.engine.model import CompanyModel
    from copilot.engine.neighbours import SnapshotNeighbours
    from copilot.llm.explain import Explainer

    engine = Engine(CompanyModel.load(Path(model_file)), _NoEmbedder(),
                    SnapshotNeighbours.load(Path(workdir) / "neighbours"), explainer=Explainer(settings),
                    policies=_no_policies if with_policies else None, k=k, top_k=top_k)
    with open(Path(workdir) / "coder.pkl", "rb") as fh:
        state = pickle.load(fh)  # written by SuggestPool.start for this batch
    _coder = ChunkCoder.__new__(ChunkCoder)
    _coder.__dict__.update(state, engine=engine)
    import gc

    gc.freeze()  # the model and profile live as long as the worker: no collection needs to walk them


def _ready() -> None:
    pass


def _code(lines: list, visible: list[bool], vectors: dict[str, np.ndarray],
          policies: dict[str, list[Evidence]] | None):
    return _coder.code(lines, visible, vectors=vectors, policies=policies).for_transport()
