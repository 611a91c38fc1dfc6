"""mteb's sentence-transformers wrapper with a language token in front of each text (M2M-100 encoders).

Its own module: it subclasses an mteb class, so importing it imports mteb (metas.py imports it when a model
is opened).
"""

from __future__ import annotations

import logging
from typing import Any

from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper
from torch.utils.data import DataLoader

from mteb_hybrid.models.m2m100 import language_prefix, supported_languages

logger = logging.getLogger(__name__)


class LanguagePrefixEncoderWrapper(SentenceTransformerEncoderWrapper):
    """mteb's sentence-transformers wrapper that writes each text's language token in front (M2M-100).

    This package's tasks encode texts grouped by language and pass the language code as `hf_subset`
    (see benchmark/search.py), so a trained M2M-100 encoder sees the same tokens as in training.
    """

    fallback_language = "en"  # for a subset that is not a language code the model knows

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, *args, **kwargs)
        self.languages = supported_languages(self.model)
        self._warned = False

    def _language(self, hf_subset: str) -> str:
        if hf_subset in self.languages:
            return hf_subset
        if not self._warned:
            logger.warning(
                "subset %r is not a language code this model knows; texts get the token of %r. "
                "mteb-hybrid's tasks pass each text's language.",
                hf_subset,
                self.fallback_language,
            )
            self._warned = True
        return self.fallback_language

    def encode(self, inputs: DataLoader, *, hf_subset: str, **kwargs: Any) -> Any:
        prefix = language_prefix(self._language(hf_subset))
        data = inputs.dataset.map(lambda row: {"text": prefix + row["text"]}, desc="language token")
        loader = DataLoader(data, batch_size=inputs.batch_size, collate_fn=inputs.collate_fn, shuffle=False)
        return super().encode(loader, hf_subset=hf_subset, **kwargs)
