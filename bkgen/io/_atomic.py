"""The one output path of bkgen: write to a temporary sibling, check, then rename.

Every file bkgen writes (ROOT, HepMC3, LHE, JSON, CSV, figures, workspaces, manifests) goes
through :class:`AtomicPath`:

* the target is checked before anything is written: an existing regular file is replaced only
  with ``overwrite``; a directory, FIFO, device node or socket is never replaced, nor a file
  registered as an input of this process (:func:`protect`: the card, the sample), even with
  ``overwrite``; a name longer than NAME_MAX (255 bytes) is refused;
* the data go to a temporary file ``.NAME.partial-PID`` in the target's directory (for names
  too long for that suffix, a shortened name with a hash of the full one, still ending in
  ``.partial-PID``), so a killed process leaves only a clearly marked partial file;
* :meth:`AtomicPath.commit` flushes and fsyncs the temporary file (write errors, e.g. a full
  disk, surface here at the latest), records its SHA-256, renames it onto the target and
  fsyncs the directory; any failure removes the temporary file and raises
  :class:`OutputError` (one line, exit status 2);
* temporaries not yet committed are listed in :data:`_LIVE`, so an interrupted command
  (Ctrl-C, SIGTERM) removes them all with :func:`discard_all`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

#: longest file name (bytes) of the file systems bkgen writes to (POSIX NAME_MAX on Linux)
NAME_MAX = 255

#: temporary files of this process not yet committed or discarded
_LIVE: set[Path] = set()
#: (device, inode) of the input files of this process, never written over
_PROTECTED: dict[tuple[int, int], str] = {}


class OutputError(InputError):
    """An output that cannot be written (special file, an input of the run, full disk, ...)."""


def protect(*paths) -> None:
    """Register input files (card, sample) that no output of this process may replace."""
    for p in paths:
        if p is None:
            continue
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(st.st_mode):
            _PROTECTED[(st.st_dev, st.st_ino)] = str(p)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_target(path, *, overwrite: bool = False, what: str = "output") -> None:
    """Raise unless ``path`` may receive a new file: free, or (with ``overwrite``) a regular file
    that is not an input of this process. One-line errors name the path and what is allowed."""
    path = Path(path)
    name = os.fsencode(path.name)
    if not name:
        raise OutputError(f"{what} {str(path)!r} has no file name; allowed: a file path")
    if len(name) > NAME_MAX:
        raise OutputError(f"{what} {str(path)!r}: file name of {len(name)} bytes; allowed: at most {NAME_MAX} bytes")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"{what} {str(path)!r} cannot be inspected ({exc.strerror}); allowed: a writable path") from None
    kind = _kind(st.st_mode)
    if kind is not None:
        raise OutputError(f"{what} {str(path)!r} is {kind}; allowed: a regular file path (--force replaces only "
                          "regular files)")
    source = _PROTECTED.get((st.st_dev, st.st_ino))
    if source is not None:
        raise OutputError(f"{what} {str(path)!r} is the input {source!r} of this run; allowed: another output path "
                          "(--force never replaces an input)")
    if not overwrite:
        raise FileExistsError(f"{what} {str(path)!r} exists; allowed: a new path, or --force to overwrite")


def temporary_name(path) -> Path:
    """``.NAME.partial-PID`` beside ``path``; a name too long for it is shortened (keeping a hash
    of the full name, so two long names sharing a prefix do not collide)."""
    path = Path(path)
    suffix = f".partial-{os.getpid()}"
    full = f".{path.name}{suffix}"
    if len(os.fsencode(full)) <= NAME_MAX:
        return path.with_name(full)
    raw = os.fsencode(path.name)
    tag = "~" + hashlib.sha256(raw).hexdigest()[:12]
    keep = NAME_MAX - len(os.fsencode(f".{tag}{suffix}"))
    head = os.fsdecode(raw[:keep])
    while len(os.fsencode(head)) > keep:  # a multi-byte character cut in half
        head = head[:-1]
    return path.with_name(f".{head}{tag}{suffix}")


def partial_files(path) -> list[Path]:
    """Temporary files of ``path`` left by any process (both name forms)."""
    path = Path(path)
    tag = "~" + hashlib.sha256(os.fsencode(path.name)).hexdigest()[:12]
    full = f".{path.name}.partial-"
    out = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        head, sep, pid = name.rpartition(".partial-")
        if sep and pid.isdigit() and (name.startswith(full) or (head.startswith(".") and head.endswith(tag))):
            out.append(path.parent / name)
    return sorted(out)


def write_failed(path, exc: BaseException) -> OutputError:
    """The one-line error of a failed write of ``path`` (full disk, file size limit, I/O error)."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return OutputError(f"output {str(path)!r}: writing failed ({reason}); nothing was written there; "
                       "allowed: a location with enough free space")


class AtomicPath:
    """A target path and its temporary sibling; :meth:`commit` renames, :meth:`discard` removes.

    The target is checked (:func:`check_target`) at creation and again at commit. With ``digest``
    the commit also records the SHA-256 of the file (read back from the page cache before the rename)."""

    def __init__(self, path, *, overwrite: bool = False, digest: bool = False):
        self.path = Path(path)
        self.overwrite = overwrite
        self.digest = digest
        check_target(self.path, overwrite=overwrite)
        self.tmp = temporary_name(self.path)
        self.committed = False
        self.sha256: str | None = None
        _LIVE.add(self.tmp)

    def commit(self) -> None:
        """fsync (and hash) the temporary file, rename it onto the target, fsync the directory."""
        try:
            self.sha256 = _fsync_and_hash(self.tmp, self.digest)
            check_target(self.path, overwrite=self.overwrite)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            if isinstance(exc, FileExistsError):
                raise
            raise write_failed(self.path, exc) from None
        except BaseException:
            self.discard()
            raise
        _LIVE.discard(self.tmp)
        _fsync_dir(self.path.parent)
        self.committed = True

    def discard(self) -> None:
        _LIVE.discard(self.tmp)
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass


def discard_all() -> None:
    """Remove every temporary file of this process not yet committed (on Ctrl-C / SIGTERM)."""
    for tmp in list(_LIVE):
        _LIVE.discard(tmp)
        try:
            tmp.unlink()
        except OSError:
            pass


def _fsync_and_hash(path: Path, digest: bool = True) -> str | None:
    """fsync ``path`` (errors raised); with ``digest`` return its SHA-256 (read back from the page cache)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        if not digest:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
    finally:
        os.close(fd)
    return h.hexdigest()


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


def is_write_error(exc: BaseException) -> bool:
    """An OSError of the storage (full disk, quota, file size limit, I/O error)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO,
                                                       errno.EROFS)


@contextmanager
def _committed(target: AtomicPath):
    """Commit ``target`` when the block ends without an exception; otherwise discard its temporary
    file, a write error of the storage becoming :class:`OutputError`."""
    try:
        yield target
    except BaseException as exc:
        target.discard()
        if is_write_error(exc):
            raise write_failed(target.path, exc) from None
        raise
    target.commit()


@contextmanager
def atomic_output(path, *, overwrite: bool = False):
    """``with atomic_output(p) as tmp:`` write the file ``tmp`` (a Path); it becomes ``p`` when the
    block ends without an exception, and is removed otherwise."""
    with _committed(AtomicPath(path, overwrite=overwrite)) as target:
        yield target.tmp


def write_text(path, text: str, *, overwrite: bool = False) -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the file's SHA-256."""
    return write_bytes(path, text.encode(), overwrite=overwrite)


def replace_section(path, begin: str, end: str, text: str, heading: str = "") -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of the text between the
    markers in ``path``, or append it (after ``heading``, if given) where the markers are absent; the
    rest of the file is kept, and the file is replaced atomically."""
    import re

    path = Path(path)
    old = path.read_text() if path.exists() else ""
    text = text if text.endswith("\n") else text + "\n"
    if begin in old and end in old:
        new = re.sub(re.escape(begin) + ".*?" + re.escape(end) + "\n?", lambda _: text, old, flags=re.S)
    else:
        new = (old.rstrip("\n") + "\n\n" if old else "") + (heading + "\n\n" if heading else "") + text
    write_text(path, new, overwrite=True)


def write_bytes(path, data: bytes, *, overwrite: bool = False) -> str:
    """Write ``data`` to ``path`` atomically; returns the file's SHA-256."""
    with _committed(AtomicPath(path, overwrite=overwrite, digest=True)) as target:
        with open(target.tmp, "wb") as f:
            f.write(data)
    return target.sha256


class AtomicWriter:
    """Context-manager behaviour of the writers built on :class:`AtomicPath`: leaving the
    block with an exception, or without :meth:`close`, discards the temporary file; a write
    error of the storage becomes :class:`OutputError`.
    Subclasses set ``self._target`` and implement ``_close_stream``."""

    _target: AtomicPath

    def _close_stream(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the committed file."""
        return self._target.sha256

    def close(self, metadata: dict | None = None) -> None:
        try:
            self._close_stream()
        except BaseException as exc:
            self._target.discard()
            if is_write_error(exc):
                raise write_failed(self._target.path, exc) from None
            raise
        self._target.commit()

    def abort(self) -> None:
        try:
            self._close_stream()
        except OSError:
            pass
        finally:
            self._target.discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None or not self._target.committed:
            self.abort()
        if exc is not None and is_write_error(exc):
            raise write_failed(self._target.path, exc) from None
        return False


class TargetLock:
    """An exclusive lock on an output (``fcntl.flock`` on a hidden ``.NAME.lock`` beside it), held
    for a whole run so that a second run on the same target fails at once with one line. The lock
    dies with its process; the lock file is removed on release."""

    def __init__(self, path, what: str = "output"):
        self.path = Path(path)
        name = f".{self.path.name}.lock"
        if len(os.fsencode(name)) > NAME_MAX:
            name = f".{hashlib.sha256(os.fsencode(self.path.name)).hexdigest()[:16]}.lock"
        self.lock_path = self.path.with_name(name)
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> TargetLock:
        import fcntl

        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(f"{self.what} {str(self.path)!r} is being written by another bkgen run (lock "
                                  f"{str(self.lock_path)!r}); allowed: another output path, or wait for that run "
                                  "to end") from None
            except BaseException:
                os.close(fd)
                raise
            # the holder before us may have removed the file between our open and flock: retry
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return self
            os.close(fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.lock_path.unlink()
        except OSError:
            pass
        os.close(fd)

    def __enter__(self) -> TargetLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
