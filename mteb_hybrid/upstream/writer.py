"""Writing an export folder without touching what the export did not write.

A manifest (`OUT/.mteb-hybrid-export.json`, outside every dataset folder, so never uploaded) lists the files
earlier exports wrote. A file in the way (a target that exists but is not listed, or a file in a dataset folder
that this export would leave stale and did not write) stops the export with the list, unless `overwrite`, which
replaces/removes exactly those and returns their list. Every target is resolved: one that a symlink sends
outside OUT is refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from mteb_hybrid.files import UnsafePathError, write_atomic
from mteb_hybrid.formats.export_kit import MANIFEST as MANIFEST  # where the manifest is, for callers
from mteb_hybrid.formats.export_kit import KitFileError, read_manifest, write_manifest

logger = logging.getLogger(__name__)


class ExportConflict(RuntimeError):
    """Files in the way of an export that it did not write; the message lists them and names --overwrite."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class KitWriter:
    """Collects files (relative path -> bytes), then writes them all at once under `root` (see module doc)."""

    def __init__(self, root: str | Path, *, overwrite: bool = False) -> None:
        given = Path(root)
        self.root = given.resolve()
        self.overwrite = overwrite
        self.files: dict[str, bytes] = {}
        self.managed: set[str] = set()  # folders whose every file is the export's (dataset folders)
        self.replaced: list[str] = []  # what `overwrite` replaced or removed (not the export's own files)

    # ------------------------------------------------------------------ manifest
    def _manifest(self) -> dict[str, str]:
        try:
            return read_manifest(self.root) or {}
        except KitFileError as e:
            raise ExportConflict(f"unreadable export manifest: {e}; remove it to start over") from e

    def target(self, rel: str) -> Path:
        """`root/rel`, refused when it (through any symlink) resolves outside root."""
        path = self.root / rel
        if not path.resolve().is_relative_to(self.root):
            link = next((p for p in [path, *path.parents] if p.is_symlink()), path)
            raise UnsafePathError(
                f"{link} is a symlink to {link.resolve()}, outside {self.root}: refusing to write "
                "there; replace it by a folder or choose another output folder"
            )
        return path

    # ------------------------------------------------------------------ collecting
    def add(self, rel: str, data: bytes | str) -> None:
        self.target(rel)
        self.files[rel] = data.encode("utf-8") if isinstance(data, str) else data

    def manage(self, folder: str) -> None:
        """Mark `folder` (relative) as the export's: files there that it does not write again are stale."""
        self.target(folder)
        self.managed.add(folder.rstrip("/"))

    # ------------------------------------------------------------------ checking and writing
    def _existing(self, folder: str) -> Iterable[str]:
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink())

    def conflicts(self) -> tuple[list[str], list[str]]:
        """(in the way: not the export's, stale: the export's own old files that this export drops)."""
        ours = self._manifest()
        in_way, stale = [], []
        for rel, data in self.files.items():
            path = self.target(rel)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                in_way.append(rel)
            elif path.is_file() and rel not in ours and path.read_bytes() != data:
                in_way.append(rel)
        for folder in sorted(self.managed):
            for rel in self._existing(folder):
                if rel in self.files:
                    continue
                path = self.root / rel
                mine = rel in ours and path.is_file() and not path.is_symlink() and _sha(path.read_bytes()) == ours[rel]
                (stale if mine else in_way).append(rel)
        return in_way, stale

    def check(self) -> None:
        """Raise ExportConflict when files are in the way and `overwrite` is off (call before costly work too)."""
        in_way, _ = self.conflicts()
        if in_way and not self.overwrite:
            shown = ", ".join(in_way[:5]) + (f" (+{len(in_way) - 5} more)" if len(in_way) > 5 else "")
            raise ExportConflict(
                f"{self.root}: {len(in_way)} file(s) in the way that mteb-hybrid export did not write "
                f"(or that changed since): {shown}; move them away, choose another output folder, "
                "or pass --overwrite to replace/remove exactly these"
            )

    def commit(self) -> list[str]:
        """Write every file, remove stale ones, update the manifest; returns what `overwrite` replaced/removed."""
        self.check()
        in_way, stale = self.conflicts()
        ours = self._manifest()
        for rel in [*in_way, *stale]:
            path = self.root / rel
            if rel not in self.files and (path.is_file() or path.is_symlink()):
                path.unlink()  # a symlink itself, never its target
            elif path.is_symlink():
                path.unlink()
        for rel, data in sorted(self.files.items()):
            write_atomic(self.target(rel), data)
        for folder in sorted(self.managed, reverse=True):  # folders left empty by removed stale files
            base = self.root / folder
            for d in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                if not any(d.iterdir()):
                    d.rmdir()
        for rel in stale:
            ours.pop(rel, None)
        ours.update({rel: _sha(data) for rel, data in self.files.items()})
        for rel in in_way:
            if rel not in self.files:
                ours.pop(rel, None)
        write_manifest(self.root, ours)
        self.replaced = in_way
        if in_way:
            logger.warning(
                "--overwrite replaced or removed %d file(s) the export had not written: %s",
                len(in_way),
                ", ".join(in_way),
            )
        return in_way


def record(root: str | Path, path: Path) -> None:
    """Note in root's manifest that the export (re)wrote `path` (e.g. hub.py pinning a task file's revision)."""
    root = Path(root).resolve()
    files = read_manifest(root)
    if files is None:
        return
    files[path.resolve().relative_to(root).as_posix()] = _sha(path.read_bytes())
    write_manifest(root, files)


def digest(files: dict[str, bytes], folder: str) -> str:
    """layout.folder_digest of `folder`'s files as they will be written (same bytes, same order, same hash)."""
    h = hashlib.sha1()
    prefix = folder.rstrip("/") + "/"
    chosen = [r for r in files if r.startswith(prefix) and not Path(r).name.startswith(".")]
    for rel in sorted(chosen, key=lambda r: Path(r[len(prefix) :]).parts):  # the order folder_digest walks in
        h.update(rel[len(prefix) :].encode())
        h.update(b"\0")
        h.update(hashlib.sha256(files[rel]).digest())
    return h.hexdigest()
