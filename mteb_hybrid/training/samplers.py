"""The batch sampler of hybrid-batch training (Elmahdy, Lin, Ahmad 2024) over per-source datasets (x-x, x-y).

Every batch comes from ONE source (of kind x-x with probability ``alpha`` in ``hybrid`` mode) and holds no two rows
of one parallel id: translations would be each other's false negatives. Under DDP, accelerate gives process i of P
the batches i, i + P, ..., so the sampler emits groups of P batches cut from ``P * batch_size`` distinct-id rows of
one source, planned from ``(seed, epoch)`` alone. (With ``split_batches=True`` pass ``num_processes=1``.)
"""

from __future__ import annotations

import functools
import itertools
import logging
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.sampler import MultiDatasetDefaultBatchSampler
from torch.utils.data import BatchSampler, ConcatDataset

from mteb_hybrid.files import world_size

logger = logging.getLogger(__name__)

XX, XY = "x-x", "x-y"
KINDS = (XX, XY)
MODES = (*KINDS, "hybrid")

# Tags that keep the random streams of one (seed, epoch) apart.
_TAG_KINDS, _TAG_PASS, _TAG_SOURCE = 0, 1, 2


def _checked_kinds(mode: str, alpha: float, source_kinds: Sequence[str]) -> list[str]:
    """The source kinds, lower-cased, after checking them, the mode and alpha."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha (share of x-x batches) must be a number in [0, 1], got {alpha!r}")
    if isinstance(source_kinds, str):
        raise TypeError("source_kinds must be a sequence with one kind per source, not a single string")
    kinds = [str(k).lower() for k in source_kinds]
    if bad := sorted({k for k in kinds if k not in KINDS}):
        raise ValueError(f"source_kinds must each be one of {KINDS}, got {bad}")
    return kinds


def encode_parallel_ids(parallel_ids: Sequence[Sequence[Any]]) -> list[np.ndarray]:
    """Parallel ids as int64 codes, equal ids -> equal codes (integer arrays pass as they are): small to pickle
    into every checkpoint, and the duplicate checks are vectorised."""
    table: dict[Any, int] = {}
    return [
        ids.astype(np.int64, copy=False)
        if isinstance(ids, np.ndarray) and np.issubdtype(ids.dtype, np.integer)
        else np.fromiter((table.setdefault(p, len(table)) for p in ids), dtype=np.int64, count=len(ids))
        for ids in parallel_ids
    ]


def _max_groups(counts: np.ndarray, group_rows: int) -> int:
    """Most groups of ``group_rows`` rows with pairwise distinct ids a source can fill: a pid with c copies is in at
    most min(c, m) of m groups, so m groups are feasible iff sum(min(c, m)) >= m * group_rows (monotone in m)."""
    lo, hi = 0, int(counts.sum()) // group_rows
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if int(np.minimum(counts, mid).sum()) >= mid * group_rows:
            lo = mid
        else:
            hi = mid - 1
    return lo


class HybridBatchSampler(MultiDatasetDefaultBatchSampler):
    """Multi-dataset batch sampler for x-x / x-y / hybrid batching with full, parallel-id-free batches.

    Only ``batch_samplers[0].batch_size`` is read and ``generator`` is unused (numpy seeded by ``(seed, epoch)``);
    ``num_processes=None`` reads the world size; ``batches_per_epoch`` defaults to every full group of the kinds used.
    Within a kind, sources are drawn without replacement over passes of their full groups; a kind that runs out
    starts a reshuffled pass, so ``alpha`` holds for the whole epoch however unequal the kinds are.
    """

    def __init__(
        self,
        dataset: ConcatDataset,
        batch_samplers: list[BatchSampler],
        generator: torch.Generator | None = None,
        seed: int | None = 0,
        *,
        source_kinds: Sequence[str],
        parallel_ids: Sequence[Sequence[Any]],
        mode: str = "hybrid",
        alpha: float = 0.5,
        num_processes: int | None = None,
        source_names: Sequence[str] | None = None,
        batches_per_epoch: int | None = None,
    ) -> None:
        super().__init__(dataset, batch_samplers=batch_samplers, generator=generator, seed=seed)
        self.drop_last = True  # only full batches are ever yielded
        self.kinds = _checked_kinds(mode, alpha, source_kinds)
        self.mode, self.alpha = mode, float(alpha)
        num_sources = len(dataset.datasets)
        names = [str(n) for n in source_names] if source_names is not None else [str(i) for i in range(num_sources)]
        for what, seq in (("source_kinds", self.kinds), ("parallel_ids", parallel_ids), ("source_names", names)):
            if len(seq) != num_sources:
                raise ValueError(f"{what} has {len(seq)} entries but the dataset has {num_sources} sources")
        self.source_names = names
        self.sizes = [len(d) for d in dataset.datasets]
        for name, size, ids in zip(names, self.sizes, parallel_ids):
            if size == 0:
                raise ValueError(f"source {name!r} is empty")
            if len(ids) != size:
                raise ValueError(f"source {name!r} has {size} rows but {len(ids)} parallel ids")
        self.offsets = [0, *itertools.accumulate(self.sizes)][:-1]

        self.num_processes = world_size() if num_processes is None else int(num_processes)
        if self.num_processes < 1:
            raise ValueError(f"num_processes must be >= 1, got {num_processes!r}")
        self.group_rows = self.num_processes * self.batch_size
        self._seed = 0 if seed is None else int(seed) % (1 << 63)

        # per source: local pid codes 0..k-1 and how many full groups it fills
        self._codes: list[np.ndarray] = []
        self.groups_per_source: list[int] = []
        for codes in encode_parallel_ids(parallel_ids):
            _, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
            self._codes.append(inverse.astype(np.int64, copy=False))
            self.groups_per_source.append(_max_groups(counts, self.group_rows))

        # the kinds this mode draws (hybrid with alpha 0 or 1 draws only one)
        self.active_kinds = [mode] if mode != "hybrid" else [k for k, p in ((XX, alpha), (XY, 1 - alpha)) if p > 0]
        self._sources_by_kind: dict[str, list[int]] = {}
        for kind in self.active_kinds:
            members = [i for i, k in enumerate(self.kinds) if k == kind]
            if not members:
                why = " (x-y needs at least two languages)" if kind == XY else ""
                raise ValueError(
                    f"mode {mode!r} (alpha={self.alpha}) draws {kind} batches but no source has kind "
                    f"{kind!r}{why}; source kinds present: {sorted(set(self.kinds))}"
                )
            fillable = [i for i in members if self.groups_per_source[i] > 0]
            if not fillable:
                best = max(int(self._codes[i].max()) + 1 for i in members)
                raise ValueError(
                    f"no {kind} source can fill a batch group of {self.group_rows} rows with distinct "
                    f"parallel ids (batch_size={self.batch_size} x num_processes={self.num_processes}); "
                    f"the largest has {best} distinct ids. Lower the batch size."
                )
            if unfillable := [names[i] for i in members if i not in fillable]:
                logger.warning(
                    "HybridBatchSampler: sources %s cannot fill one group of %d rows with distinct parallel "
                    "ids (batch_size %d x %d processes) and are never sampled.",
                    unfillable,
                    self.group_rows,
                    self.batch_size,
                    self.num_processes,
                )
            self._sources_by_kind[kind] = fillable

        if batches_per_epoch is None:  # every full group of the kinds in use
            self.num_groups = sum(self.groups_per_source[i] for ids in self._sources_by_kind.values() for i in ids)
        else:
            self.num_groups = int(batches_per_epoch) // self.num_processes
        if self.num_groups < 1:
            raise ValueError(
                f"batches_per_epoch={batches_per_epoch} is less than one batch per process "
                f"({self.num_processes} processes)"
            )

    def _rng(self, epoch: int, tag: int, a: int = 0, b: int = 0, c: int = 0) -> np.random.Generator:
        return np.random.default_rng([self._seed, epoch, tag, a, b, c])

    def _plan_source(self, source: int, rng: np.random.Generator) -> np.ndarray:
        """One pass over a source: (groups, group_rows) local row indices, distinct ids per group."""
        m, size, codes = self.groups_per_source[source], self.sizes[source], self._codes[source]
        perm = rng.permutation(size)
        if int(codes.max()) + 1 == size:  # no duplicate ids
            return perm[: m * self.group_rows].reshape(m, self.group_rows)
        # order rows by a random pid order (copies adjacent), keep <= m copies per pid, and deal position j to
        # group j % m, so the copies of a pid land in different groups
        pid_rank = rng.permutation(int(codes.max()) + 1)
        order = perm[np.argsort(pid_rank[codes[perm]], kind="stable")]
        sorted_codes = codes[order]
        positions = np.arange(size)
        run_start = np.maximum.accumulate(np.where(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]], positions, 0))
        order = order[positions - run_start < m][: m * self.group_rows]
        return order.reshape(self.group_rows, m).T[rng.permutation(m)]

    def _kind_stream(self, kind: str, epoch: int) -> Iterator[tuple[int, np.ndarray]]:
        """Endless (source, group) stream of one kind: reshuffled passes over its full groups."""
        kind_id = KINDS.index(kind)
        sources = self._sources_by_kind[kind]
        counts = [self.groups_per_source[i] for i in sources]
        for pass_idx in itertools.count():
            labels = self._rng(epoch, _TAG_PASS, kind_id, pass_idx).permutation(np.repeat(sources, counts))
            plans: dict[int, Iterator[np.ndarray]] = {}
            for source in labels.tolist():
                if source not in plans:  # shuffle a source only when first drawn
                    rng = self._rng(epoch, _TAG_SOURCE, kind_id, pass_idx, source)
                    plans[source] = iter(self._plan_source(source, rng))
                yield source, next(plans[source])

    def iter_with_sources(self) -> Iterator[tuple[int, list[int]]]:
        """Yield ``(source index, batch of ConcatDataset indices)``; ``__iter__`` drops the source."""
        epoch = self.epoch
        is_xx = (
            self._rng(epoch, _TAG_KINDS).random(self.num_groups) < self.alpha
            if self.mode == "hybrid"
            else np.full(self.num_groups, self.mode == XX)
        )
        streams = {kind: self._kind_stream(kind, epoch) for kind in self.active_kinds}
        for xx in is_xx.tolist():
            source, rows = next(streams[XX if xx else XY])
            for batch in (rows + self.offsets[source]).reshape(self.num_processes, self.batch_size).tolist():
                yield source, batch

    def __iter__(self) -> Iterator[list[int]]:
        return (batch for _, batch in self.iter_with_sources())

    def __len__(self) -> int:
        return self.num_groups * self.num_processes


def hybrid_sampler_factory(
    source_kinds: Sequence[str],
    parallel_ids: Sequence[Sequence[Any]],
    mode: str = "hybrid",
    alpha: float = 0.5,
    num_processes: int | None = None,
    *,
    source_names: Sequence[str] | None = None,
    batches_per_epoch: int | None = None,
) -> Callable[..., HybridBatchSampler]:
    """A ``multi_dataset_batch_sampler`` for ``SentenceTransformerTrainingArguments``: it checks what it can
    now rather than when training starts, and keeps parallel ids as integer codes (small pickled arguments)."""
    kinds = _checked_kinds(mode, alpha, source_kinds)
    if len(kinds) != len(parallel_ids):
        raise ValueError(f"source_kinds has {len(kinds)} entries but parallel_ids has {len(parallel_ids)}")
    codes = [c.astype(np.int32) if c.size and c.max() < 2**31 else c for c in encode_parallel_ids(parallel_ids)]
    return functools.partial(
        HybridBatchSampler,
        source_kinds=kinds,
        parallel_ids=codes,
        mode=mode,
        alpha=alpha,
        num_processes=num_processes,
        source_names=list(source_names) if source_names is not None else None,
        batches_per_epoch=batches_per_epoch,
    )
