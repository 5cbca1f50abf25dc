"""Write-to-temporary-then-rename, shared by the text output formats."""

from __future__ import annotations

import os
from pathlib import Path


class AtomicPath:
    """A target path and a temporary sibling; :meth:`commit` renames, :meth:`discard` removes.

    The target is never touched before commit; an existing target is refused unless
    ``overwrite`` (checked at creation and again at commit).
    """

    def __init__(self, path, *, overwrite: bool = False):
        self.path = Path(path)
        self.overwrite = overwrite
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{self.path} exists; pass overwrite=True to replace it")
        self.tmp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self.committed = False

    def commit(self) -> None:
        """fsync the temporary file, rename it onto the target, fsync the directory."""
        _fsync_file(self.tmp)
        if self.path.exists() and not self.overwrite:
            self.discard()
            raise FileExistsError(f"{self.path} appeared while writing; pass overwrite=True to replace it")
        os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)
        self.committed = True

    def discard(self) -> None:
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicWriter:
    """Context-manager behaviour of the writers built on :class:`AtomicPath`: leaving the
    block with an exception, or without :meth:`close`, discards the temporary file.
    Subclasses set ``self._target`` and implement ``_close_stream``."""

    _target: AtomicPath

    def _close_stream(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, metadata: dict | None = None) -> None:
        self._close_stream()
        self._target.commit()

    def abort(self) -> None:
        try:
            self._close_stream()
        finally:
            self._target.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None or not self._target.committed:
            self.abort()
        return False
