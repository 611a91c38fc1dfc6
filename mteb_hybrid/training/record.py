"""Moved to `mteb_hybrid.formats.training_record` (the formats floor); this name stays an alias of that module."""

import sys

from mteb_hybrid.formats import training_record as _module

sys.modules[__name__] = _module
