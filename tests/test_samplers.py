"""HybridBatchSampler: purity, no duplicate parallel ids, kind mix, proportional sources, sharding."""

from __future__ import annotations

import bisect
import logging
import math
import pickle
from collections import Counter

import numpy as np
import pytest
from accelerate.data_loader import BatchSamplerShard
from datasets import Dataset
from scipy.stats import chi2
from torch.utils.data import BatchSampler, ConcatDataset, RandomSampler

from mteb_hybrid.training.samplers import HybridBatchSampler, hybrid_sampler_factory


class Sources:
    """Synthetic sources: (kind, rows, parallel-id function of the row number) -> ConcatDataset."""

    def __init__(self, specs: list[tuple[str, int]], pid=lambda j: f"q{j}") -> None:
        self.kinds = [kind for kind, _ in specs]
        self.datasets = [
            Dataset.from_dict({"anchor": [f"s{i}-r{j}" for j in range(n)], "positive": [f"p{j}" for j in range(n)]})
            for i, (_, n) in enumerate(specs)
        ]
        self.pids = [[pid(j) for j in range(n)] for _, n in specs]
        self.concat = ConcatDataset(self.datasets)
        self.offsets = [0, *np.cumsum([n for _, n in specs]).tolist()]

    def sampler(self, batch_size: int = 4, seed: int = 0, **kwargs) -> HybridBatchSampler:
        kwargs.setdefault("source_kinds", self.kinds)
        kwargs.setdefault("parallel_ids", self.pids)
        kwargs.setdefault("num_processes", 1)
        batch_samplers = [BatchSampler(range(len(d)), batch_size, drop_last=False) for d in self.datasets]
        return HybridBatchSampler(self.concat, batch_samplers, seed=seed, **kwargs)

    def source_of(self, batch: list[int]) -> int:
        """The one source holding every row of the batch (asserts purity)."""
        found = {bisect.bisect_right(self.offsets, i) - 1 for i in batch}
        assert len(found) == 1, f"batch mixes sources {found}"
        return found.pop()

    def pids_of(self, batch: list[int]) -> list[str]:
        s = self.source_of(batch)
        return [self.pids[s][i - self.offsets[s]] for i in batch]


MIXED = [("x-x", 40), ("x-x", 24), ("x-x", 60), ("x-y", 80), ("x-y", 36), ("x-y", 120), ("x-y", 52)]


@pytest.mark.parametrize("mode", ["x-x", "x-y", "hybrid"])
def test_batches_are_pure_full_and_of_the_right_kind(mode: str) -> None:
    src = Sources(MIXED)
    sampler = src.sampler(batch_size=4, mode=mode, batches_per_epoch=300)
    kinds_seen = Counter()
    for batch in sampler:
        assert len(batch) == 4
        kind = src.kinds[src.source_of(batch)]
        kinds_seen[kind] += 1
        if mode != "hybrid":
            assert kind == mode
    assert set(kinds_seen) == ({"x-x", "x-y"} if mode == "hybrid" else {mode})


@pytest.mark.parametrize("num_processes", [1, 2, 3])
def test_no_duplicate_parallel_ids_in_batches_or_global_groups(num_processes: int) -> None:
    # Every parallel id appears 3 times in every source: the sampler must still keep them apart.
    src = Sources(MIXED, pid=lambda j: f"q{j // 3}")
    sampler = src.sampler(batch_size=3, num_processes=num_processes, batches_per_epoch=600)
    batches = list(sampler)
    assert len(batches) % num_processes == 0
    for g in range(0, len(batches), num_processes):
        group = batches[g : g + num_processes]
        assert len({src.source_of(b) for b in group}) == 1, "a global batch mixes sources"
        pids = [p for b in group for p in src.pids_of(b)]
        assert len(pids) == len(set(pids)), f"duplicate parallel id in global batch {g // num_processes}"
        rows = [i for b in group for i in b]
        assert len(rows) == len(set(rows))


def test_duplicate_ids_pack_the_most_groups_and_use_each_row_at_most_once_per_pass() -> None:
    # 30 rows, ids 0..9 three times each; batch 4 -> at most 7 groups (3 copies fit 3 of them each: 30 >= 28).
    src = Sources([("x-y", 30)], pid=lambda j: j % 10)
    sampler = src.sampler(batch_size=4, mode="x-y")
    assert sampler.groups_per_source == [7]
    batches = list(sampler)
    assert len(batches) == 7
    rows = [i for b in batches for i in b]
    assert len(rows) == len(set(rows)) == 28
    for b in batches:
        assert len(set(src.pids_of(b))) == 4


def test_one_id_with_many_copies_is_capped_not_fatal() -> None:
    # Row ids: 20 distinct ids plus one id copied 20 times; batch 5 -> a group holds that id once.
    src = Sources([("x-x", 40)], pid=lambda j: "hot" if j >= 20 else f"q{j}")
    sampler = src.sampler(batch_size=5, mode="x-x")
    batches = list(sampler)
    assert len(batches) == sampler.groups_per_source[0] == 5  # sum(min(c, 5)) = 25 >= 5 * 5; 6 needs 30 > 26
    for b in batches:
        assert len(set(src.pids_of(b))) == 5


@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.7])
@pytest.mark.parametrize("num_processes", [1, 2])
def test_alpha_share_of_xx_batches_within_binomial_tolerance(alpha: float, num_processes: int) -> None:
    # x-x data is far smaller than x-y data: its stream must cycle so alpha holds over the whole epoch.
    src = Sources([("x-x", 16), ("x-x", 24), ("x-y", 400), ("x-y", 600)])
    sampler = src.sampler(batch_size=4, alpha=alpha, num_processes=num_processes, batches_per_epoch=8000)
    kinds = [src.kinds[src.source_of(b)] for b in sampler][::num_processes]  # one draw per group
    n = len(kinds)
    assert n == 8000 // num_processes
    for part in (kinds[: n // 2], kinds[n // 2 :]):  # first and second half: the mix holds throughout
        m = len(part)
        share = sum(k == "x-x" for k in part)
        assert abs(share - alpha * m) <= 4 * math.sqrt(m * alpha * (1 - alpha)), (share, m, alpha)


def test_hybrid_default_epoch_uses_both_kinds_full_groups() -> None:
    src = Sources(MIXED)
    sampler = src.sampler(batch_size=4, alpha=0.5)
    assert len(sampler) == sum(n // 4 for _, n in MIXED)
    assert len(src.sampler(batch_size=4, mode="x-x")) == sum(n // 4 for k, n in MIXED if k == "x-x")
    assert len(src.sampler(batch_size=4, mode="x-y")) == sum(n // 4 for k, n in MIXED if k == "x-y")


def test_one_pass_uses_each_source_exactly_its_number_of_groups() -> None:
    src = Sources([("x-y", 40), ("x-y", 80), ("x-y", 160), ("x-y", 320)])
    sampler = src.sampler(batch_size=4, mode="x-y")
    counts = Counter(src.source_of(b) for b in sampler)
    assert counts == {0: 10, 1: 20, 2: 40, 3: 80}
    rows = [i for b in sampler for i in b]
    assert len(rows) == len(set(rows)) == 600


def test_source_draws_are_proportional_to_size() -> None:
    # The first draw of each epoch is a fresh draw proportional to size; chi-square over 1,200 epochs.
    sizes = [40, 80, 160, 320]
    src = Sources([("x-y", n) for n in sizes])
    sampler = src.sampler(batch_size=4, mode="x-y", seed=3)
    first = Counter()
    for epoch in range(1200):
        sampler.set_epoch(epoch)
        first[src.source_of(next(iter(sampler)))] += 1
    observed = np.array([first[i] for i in range(4)], dtype=float)
    expected = np.array(sizes, dtype=float) / sum(sizes) * observed.sum()
    stat = float(((observed - expected) ** 2 / expected).sum())
    assert stat < chi2.ppf(0.9999, df=3), (observed, expected)
    # A wrong rule (uniform over sources) would be rejected by the same test.
    uniform = np.full(4, observed.sum() / 4)
    assert float(((observed - uniform) ** 2 / uniform).sum()) > chi2.ppf(0.9999, df=3)


def test_hybrid_source_shares_within_a_kind_follow_size_over_many_passes() -> None:
    src = Sources([("x-x", 20), ("x-x", 60), ("x-y", 40), ("x-y", 120)])
    sampler = src.sampler(batch_size=4, alpha=0.5, batches_per_epoch=6000)
    counts = Counter(src.source_of(b) for b in sampler)
    for a, b, ratio in ((1, 0, 3.0), (3, 2, 3.0)):
        total = counts[a] + counts[b]
        p = ratio / (1 + ratio)
        assert abs(counts[a] - p * total) <= 4 * math.sqrt(total * p * (1 - p)), counts


def test_deterministic_for_seed_and_epoch_and_set_epoch_reshuffles() -> None:
    src = Sources(MIXED)
    a, b = src.sampler(seed=7), src.sampler(seed=7)
    first = list(a)
    assert first == list(b) == list(a)
    a.set_epoch(1)
    second = list(a)
    assert second != first
    b.set_epoch(1)
    assert list(b) == second
    a.set_epoch(0)
    assert list(a) == first
    assert list(src.sampler(seed=8)) != first


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "x-x"},
        {"mode": "x-y"},
        {"mode": "hybrid", "alpha": 0.5},
        {"mode": "hybrid", "alpha": 0.0},
        {"mode": "hybrid", "alpha": 1.0},
        {"mode": "hybrid", "num_processes": 3},
        {"mode": "hybrid", "num_processes": 2, "batches_per_epoch": 101},
        {"mode": "x-y", "batches_per_epoch": 1000},
    ],
)
def test_len_equals_number_of_batches_yielded(kwargs: dict) -> None:
    src = Sources(MIXED, pid=lambda j: j // 2)
    sampler = src.sampler(batch_size=3, **kwargs)
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        assert len(sampler) == len(list(sampler)) > 0
    if "batches_per_epoch" in kwargs:
        p = kwargs.get("num_processes", 1)
        assert len(sampler) == kwargs["batches_per_epoch"] // p * p


def test_hybrid_alpha_one_never_draws_xy_and_needs_no_xy_source() -> None:
    src = Sources([("x-x", 40), ("x-x", 40)])
    sampler = src.sampler(alpha=1.0)
    assert {src.kinds[src.source_of(b)] for b in sampler} == {"x-x"}


def test_accelerate_sharding_gives_processes_the_same_source_and_disjoint_ids() -> None:
    src = Sources(MIXED, pid=lambda j: j // 2)
    sampler = src.sampler(batch_size=4, num_processes=2, batches_per_epoch=200)
    shards = [BatchSamplerShard(sampler, 2, i, split_batches=False, even_batches=False) for i in range(2)]
    per_process = [list(s) for s in shards]
    assert len(per_process[0]) == len(per_process[1]) == len(shards[0]) == 100
    for b0, b1 in zip(*per_process):
        assert src.source_of(b0) == src.source_of(b1)
        assert not set(b0) & set(b1)
        assert not set(src.pids_of(b0)) & set(src.pids_of(b1))


def test_unfillable_small_source_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    src = Sources([("x-x", 40), ("x-x", 3), ("x-y", 40)])
    with caplog.at_level(logging.WARNING, logger="mteb_hybrid.training.samplers"):
        sampler = src.sampler(batch_size=4, source_names=["en", "tiny", "en-de"])
    assert "tiny" in caplog.text and "never sampled" in caplog.text
    assert 1 not in {src.source_of(b) for b in sampler}


def test_factory_is_a_trainer_callable_and_pickles() -> None:
    src = Sources(MIXED)
    factory = hybrid_sampler_factory(src.kinds, src.pids, mode="hybrid", alpha=0.5, num_processes=2)
    factory = pickle.loads(pickle.dumps(factory))  # the trainer pickles its arguments into checkpoints
    batch_samplers = [BatchSampler(RandomSampler(d), 4, drop_last=False) for d in src.datasets]
    sampler = factory(src.concat, batch_samplers=batch_samplers, generator=None, seed=11)
    assert isinstance(sampler, HybridBatchSampler) and sampler.batch_size == 4 and sampler.num_processes == 2
    direct = src.sampler(batch_size=4, seed=11, num_processes=2)
    assert list(sampler) == list(direct)


def test_real_mlqa_r_sources() -> None:
    from mteb_hybrid.data import get_definition, load_dataset

    data = load_dataset(get_definition("mlqa-r"), "/work/shared/data")
    cands = data.candidate_index()
    by_pid = {lang: {q.parallel_id: q for q in d.questions} for lang, d in data.languages.items()}
    names, kinds, pids, datasets = [], [], [], []
    for q_lang in data.languages:
        for p_lang in data.languages:
            qs = [q for q in data.languages[q_lang].questions if q.parallel_id in by_pid[p_lang]]
            rows = {
                "anchor": [q.text for q in qs],
                "positive": [cands[by_pid[p_lang][q.parallel_id].answer_id].sentence for q in qs],
            }
            names.append(f"{q_lang}-{p_lang}" if q_lang != p_lang else q_lang)
            kinds.append("x-x" if q_lang == p_lang else "x-y")
            pids.append([q.parallel_id for q in qs])
            datasets.append(Dataset.from_dict(rows))
    assert kinds.count("x-x") == 7 and kinds.count("x-y") == 42
    concat = ConcatDataset(datasets)
    offsets = [0, *np.cumsum([len(d) for d in datasets]).tolist()]
    sampler = HybridBatchSampler(
        concat,
        [BatchSampler(RandomSampler(d), 32, False) for d in datasets],
        seed=0,
        source_kinds=kinds,
        parallel_ids=pids,
        num_processes=2,
        source_names=names,
    )
    assert len(sampler) == len(list(sampler)) > 300
    batches = list(sampler)
    xx = 0
    for g in range(0, len(batches), 2):
        s = {bisect.bisect_right(offsets, i) - 1 for b in batches[g : g + 2] for i in b}
        assert len(s) == 1
        s = s.pop()
        ids = [pids[s][i - offsets[s]] for b in batches[g : g + 2] for i in b]
        assert len(ids) == len(set(ids)) == 64
        xx += kinds[s] == "x-x"
    n = len(batches) // 2
    assert abs(xx - n / 2) <= 4 * math.sqrt(n / 4)


# --- bad inputs --------------------------------------------------------------------------------


def test_error_requested_kind_has_no_source() -> None:
    src = Sources([("x-x", 40)])
    with pytest.raises(ValueError, match=r"no source has kind 'x-y' \(x-y needs at least two languages\)"):
        src.sampler(mode="x-y")
    with pytest.raises(ValueError, match=r"mode 'hybrid' \(alpha=0.5\) draws x-y batches"):
        src.sampler(mode="hybrid", alpha=0.5)
    with pytest.raises(ValueError, match="no source has kind 'x-x'"):
        Sources([("x-y", 40)]).sampler(mode="x-x")


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan"), "0.5", True])
def test_error_alpha_outside_unit_interval(alpha) -> None:
    with pytest.raises(ValueError, match=r"alpha .* must be a number in \[0, 1\]"):
        Sources(MIXED).sampler(alpha=alpha)
    with pytest.raises(ValueError, match=r"alpha .* must be a number in \[0, 1\]"):
        hybrid_sampler_factory(["x-x", "x-y"], [["a"], ["a"]], alpha=alpha)


def test_error_unknown_mode_and_kind() -> None:
    with pytest.raises(ValueError, match=r"mode must be one of \('x-x', 'x-y', 'hybrid'\), got 'mixed'"):
        Sources(MIXED).sampler(mode="mixed")
    with pytest.raises(ValueError, match=r"source_kinds must each be one of .*'x-z'"):
        Sources(MIXED).sampler(source_kinds=["x-z"] * len(MIXED))
    with pytest.raises(TypeError, match="not a single string"):
        Sources(MIXED).sampler(source_kinds="x-x")


def test_error_mismatched_lengths() -> None:
    src = Sources(MIXED)
    with pytest.raises(ValueError, match="source_kinds has 6 entries but the dataset has 7 sources"):
        src.sampler(source_kinds=src.kinds[:-1])
    with pytest.raises(ValueError, match="parallel_ids has 8 entries but the dataset has 7 sources"):
        src.sampler(parallel_ids=src.pids + [["x"]])
    with pytest.raises(ValueError, match="source '2' has 60 rows but 59 parallel ids"):
        src.sampler(parallel_ids=[p if i != 2 else p[:-1] for i, p in enumerate(src.pids)])
    with pytest.raises(ValueError, match="source_names has 2 entries"):
        src.sampler(source_names=["a", "b"])
    with pytest.raises(ValueError, match="source_kinds has 2 entries but parallel_ids has 1"):
        hybrid_sampler_factory(["x-x", "x-y"], [["a"]])


def test_error_empty_source() -> None:
    src = Sources([("x-x", 40), ("x-y", 0), ("x-y", 40)])
    with pytest.raises(ValueError, match="source 'de-en' is empty"):
        src.sampler(source_names=["de", "de-en", "en-de"])


def test_error_batch_larger_than_any_source_can_fill() -> None:
    # 30 rows but only 10 distinct ids: a batch of 12 cannot be filled without duplicates.
    src = Sources([("x-x", 30), ("x-y", 30)], pid=lambda j: j % 10)
    with pytest.raises(
        ValueError, match=r"no x-x source can fill a batch group of 12 rows .* largest has 10 distinct ids"
    ):
        src.sampler(batch_size=12)
    # 6 per process fits, but not 2 processes x 6.
    with pytest.raises(ValueError, match=r"batch group of 12 rows .*batch_size=6 x num_processes=2"):
        src.sampler(batch_size=6, num_processes=2)
    assert len(src.sampler(batch_size=6, num_processes=1)) > 0


def test_error_bad_num_processes_and_epoch_length() -> None:
    with pytest.raises(ValueError, match="num_processes must be >= 1"):
        Sources(MIXED).sampler(num_processes=0)
    with pytest.raises(ValueError, match="batches_per_epoch=1 is less than one batch per process"):
        Sources(MIXED).sampler(num_processes=2, batches_per_epoch=1)
