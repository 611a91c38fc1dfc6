"""M2M-100 encoder as a sentence encoder: weights really loaded, language token per text, layer-drop off."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import torch

from mteb_hybrid.models.m2m100 import (
    build_m2m100_sentence_encoder,
    disable_layerdrop,
    is_m2m100_model,
    language_prefix,
    prefix_texts,
    supported_languages,
)


@pytest.fixture(scope="module")
def m2m(tmp_path_factory) -> tuple[Path, Path]:
    """(full hub-like checkpoint, sentence-encoder folder built from it)."""
    from tiny_models import build_tiny_m2m100_checkpoint

    root = tmp_path_factory.mktemp("m2m")
    source = build_tiny_m2m100_checkpoint(root / "source")
    return source, build_m2m100_sentence_encoder(source, root / "st", max_seq_length=64)


def test_encoder_weights_are_loaded_not_reinitialised(m2m):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from transformers import M2M100Model

    source, folder = m2m
    model = SentenceTransformer(str(folder))
    reference = M2M100Model.from_pretrained(str(source)).get_encoder().eval()
    encoder = model[0].auto_model.eval()
    assert type(encoder).__name__ == "M2M100Encoder"
    ids = torch.tensor([[10, 11, 12, 13, reference.config.eos_token_id]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        tokens = model[0]({"input_ids": ids, "attention_mask": mask})["token_embeddings"]
    assert torch.equal(encoder.embed_tokens.weight, reference.embed_tokens.weight)
    assert torch.allclose(got, expected, atol=1e-6) and torch.allclose(tokens, expected, atol=1e-6)

    # The trap this avoids: sentence-transformers on the full checkpoint re-initialises the encoder.
    naive = Transformer(str(source), max_seq_length=64).auto_model.eval()
    with torch.no_grad():
        naive_out = naive(input_ids=ids, attention_mask=mask).last_hidden_state
    assert not torch.allclose(naive_out, expected, atol=1e-3)


def test_language_token_follows_the_text(m2m):
    from sentence_transformers import SentenceTransformer

    _, folder = m2m
    model = SentenceTransformer(str(folder))
    tok = model.tokenizer
    de, en, zh, eos = (tok.convert_tokens_to_ids(t) for t in ("__de__", "__en__", "__zh__", "</s>"))
    batch = model.preprocess(
        prefix_texts(["Wann wurde die Universität gegründet?"], "de") + prefix_texts(["大学是什么时候成立的？"], "zh")
    )
    ids = batch["input_ids"]
    assert ids[0, 0].item() == de and ids[1, 0].item() == zh
    assert en not in ids[0].tolist() and en not in ids[1].tolist()  # no default source-language token
    body = tok("Wann wurde die Universität gegründet?", add_special_tokens=False)["input_ids"]
    assert ids[0, 1 : 1 + len(body)].tolist() == body and ids[0, len(body) + 1].item() == eos
    assert language_prefix("de") == "__de__ "
    assert {"de", "en", "zh", "el"} <= supported_languages(model) and is_m2m100_model(model)
    # the language changes the embedding of the same text
    emb = model.encode(["__de__ Paris", "__en__ Paris"], convert_to_tensor=True)
    assert not torch.allclose(emb[0], emb[1])


def test_layerdrop_is_off(m2m):
    from sentence_transformers import SentenceTransformer

    source, folder = m2m
    assert json.loads((source / "config.json").read_text())["encoder_layerdrop"] == 0.05
    assert json.loads((folder / "config.json").read_text())["encoder_layerdrop"] == 0.0
    model = SentenceTransformer(str(folder))
    assert model[0].auto_model.layerdrop == 0.0
    model[0].auto_model.layerdrop = 0.3
    model[0].auto_model.config.encoder_layerdrop = 0.3
    assert disable_layerdrop(model) >= 2 and disable_layerdrop(model) == 0
    assert model[0].auto_model.layerdrop == 0.0 and model[0].auto_model.config.encoder_layerdrop == 0.0


def test_training_writes_language_tokens_per_row(m2m, data_dir, tmp_path):
    from mteb_hybrid.training import TrainConfig
    from mteb_hybrid.training.rows import TrainingDataError, rows_from_lareqa
    from mteb_hybrid.training.trainer import build_trainer, read_training_info, train

    _, folder = m2m
    rows = [r for r in rows_from_lareqa("mlqa-r", data_dir, ["de", "en", "zh"]) if int(r.parallel_id, 16) % 8 == 0]
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {"parallel_id": r.parallel_id, "lang": r.lang, "query": r.query, "positive": r.positive},
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    config = TrainConfig(
        base=str(folder),
        data=[str(data)],
        batch_size=4,
        max_steps=2,
        max_seq_length=48,
        validation_fraction=0.0,
        logging_steps=1,
        output_dir=str(tmp_path / "out"),
        device="cpu",
    )
    run = build_trainer(config)
    assert run.language_tokens and run.trainer.args.prompts is None
    ds = run.sources.datasets["x-y:zh-de"]
    assert all(a.startswith("__zh__ ") for a in ds["anchor"]) and all(p.startswith("__de__ ") for p in ds["positive"])
    assert all(a.startswith("__en__ ") for a in run.sources.datasets["x-x:en"]["anchor"])
    tok = run.model.tokenizer
    lang_ids = {tok.convert_tokens_to_ids(f"__{lang}__"): lang for lang in ("de", "en", "zh")}
    for batch in itertools.islice(run.trainer.get_train_dataloader(), 4):
        q_langs = {lang_ids[i] for i in batch["anchor_input_ids"][:, 0].tolist()}
        p_langs = {lang_ids[i] for i in batch["positive_input_ids"][:, 0].tolist()}
        assert len(q_langs) == len(p_langs) == 1  # one source per batch: one token per column

    result = train(config)
    assert result.global_step == 2 and read_training_info(result.output_dir)["language_prefix"] == "__{lang}__ "

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"parallel_id": "1", "lang": "qq", "query": "q", "positive": "p"}) + "\n")
    with pytest.raises(TrainingDataError, match=r"no language token for.*'qq': 1"):
        build_trainer(TrainConfig(**{**config.to_dict(), "data": [str(bad)], "output_dir": str(tmp_path / "o2")}))


def test_evaluation_writes_each_texts_language_token(m2m, data_dir):
    """Through an mteb task, every encoded text starts with the token of its own language."""
    from sentence_transformers import SentenceTransformer

    from mteb_hybrid.benchmark import TASK_CLASSES
    from mteb_hybrid.models.prefix_encoder import LanguagePrefixEncoderWrapper

    _, folder = m2m
    st = SentenceTransformer(str(folder))
    seen: list[list[int]] = []
    original = st.preprocess

    def spy(texts, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append(list(texts))
        return original(texts, *args, **kwargs)

    st.preprocess = spy
    task = TASK_CLASSES["MLQARSentenceRetrieval"](data_dir=data_dir).filter_languages(["de", "zh"])
    task.hf_subsets = ["de-zh"]
    scores = task.evaluate(
        LanguagePrefixEncoderWrapper(st), "test", encode_kwargs={"batch_size": 64, "show_progress_bar": False}
    )
    assert 0 <= scores["de-zh"]["map"] <= 1
    texts = [t for batch in seen for t in batch]
    german = [t for t in texts if t.startswith("__de__ ")]
    chinese = [t for t in texts if t.startswith("__zh__ ")]
    assert german and chinese and len(german) + len(chinese) == len(texts)
    # German questions (queries) and Chinese candidates: the corpus side is all Chinese sentences
    assert len(chinese) == len(task.dataset["de-zh"]["test"]["corpus"])


def test_smoke_stand_in_knows_every_language_of_the_real_model(tmp_path):
    """Smoke runs must reject only what facebook/m2m100_418M would: XQuAD-R's ru/th/tr are among its 100."""
    from mteb_hybrid.models.tiny import M2M100_LANGUAGES, build_tiny_m2m100

    assert len(set(M2M100_LANGUAGES)) == 100
    from sentence_transformers import SentenceTransformer

    folder = build_tiny_m2m100(tmp_path / "tiny", languages=M2M100_LANGUAGES)
    assert supported_languages(SentenceTransformer(str(folder))) == set(M2M100_LANGUAGES)
