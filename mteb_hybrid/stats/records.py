"""Moved to `mteb_hybrid.formats.per_query` (the formats floor); this name stays an alias of that module."""

import sys

from mteb_hybrid.formats import per_query as _module

sys.modules[__name__] = _module
