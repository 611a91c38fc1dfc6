"""Moved to `mteb_hybrid.formats.experiments` (the formats floor); this name stays an alias of that module."""

import sys

from mteb_hybrid.formats import experiments as _module

sys.modules[__name__] = _module
