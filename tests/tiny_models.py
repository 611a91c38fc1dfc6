"""Tests use the package's tiny random models (also used by `mteb-hybrid experiment --smoke`)."""

from mteb_hybrid.models.tiny import (  # noqa: F401
    DEFAULT_CORPUS,
    M2M_TEST_LANGUAGES,
    build_tiny_bert,
    build_tiny_m2m100,
    build_tiny_m2m100_checkpoint,
    build_tiny_xlmr,
)
