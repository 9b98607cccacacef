"""Where a store lives: a local folder or an fsspec URL (``s3://bucket/store``, ``gs://…``).

Every write is whole-or-nothing to a reader. On a local disk that takes a temporary file,
fsync and a rename; on an object store a single PUT already is atomic (an object is either
there, complete, or absent), so the bytes go up in one ``pipe_file`` call.
"""

from __future__ import annotations

import logging
import os
import posixpath
import uuid
from contextlib import contextmanager
from functools import cached_property

import fsspec
from fsspec.implementations.local import LocalFileSystem


_log = logging.getLogger(__name__)
_quieted_loops: set[int] = set()


def quiet_orphaned_futures() -> None:
    """fsspec runs remote I/O on an event loop of its own. When a store goes away mid-upload,
    aiohttp leaves futures whose exception nobody awaits (the caller already got the error, and
    reports it), and asyncio would print each of them with a traceback. Log those at debug level."""
    from fsspec.asyn import get_loop

    loop = get_loop()
    if id(loop) in _quieted_loops:
        return

    def handler(loop, context):
        if "exception was never retrieved" in context.get("message", ""):
            _log.debug("%s: %r", context["message"], context.get("exception"))
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    _quieted_loops.add(id(loop))


class StoreError(OSError):
    """An error of the store itself (a full disk, a read-only folder, a file where a folder
    should be, an unreachable bucket), told apart from other OSErrors of a run (a model that
    does not load) so that only this one is reported as the store's."""

    @classmethod
    def of(cls, exc: OSError, path: str) -> "StoreError":
        if exc.errno is None:
            return cls(f"{path}: {exc}")
        return cls(exc.errno, exc.strerror, exc.filename or path)


class StoreUnavailable(StoreError):
    """A remote store that cannot be reached or refused a request (the cause is chained).

    An OSError, like a full disk or a read-only folder: the run stops with a clear message and
    the same command resumes once the store is back.
    """


class Location:
    """A store root: its filesystem and its path inside that filesystem."""

    def __init__(self, url: str | os.PathLike) -> None:
        self.url = os.fspath(url)
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            self.root = os.path.abspath(self.root)
        else:
            quiet_orphaned_futures()

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    @cached_property
    def protocol(self) -> str:
        proto = self.fs.protocol
        return proto[0] if isinstance(proto, (tuple, list)) else proto

    def uri(self, path: str) -> str:
        """The path as other tools (DuckDB) must be given it: plain for local files, with the
        protocol for remote ones."""
        return path if self.local else f"{self.protocol}://{path}"

    @contextmanager
    def _remote_errors(self, path: str):
        """Client errors of a remote filesystem (botocore's, gcsfs's) become StoreUnavailable, any
        other OSError a StoreError."""
        try:
            yield
        except StoreError:
            raise
        except OSError as exc:
            raise StoreError.of(exc, path) from exc
        except Exception as exc:
            if self.local:
                raise
            raise StoreUnavailable(f"{self.uri(path)}: {type(exc).__name__}: {exc}") from exc

    def exists(self, path: str) -> bool:
        with self._remote_errors(path):
            return self.fs.exists(path)

    def is_dir(self) -> bool:
        with self._remote_errors(self.root):
            return self.fs.isdir(self.root)

    def glob(self, pattern: str) -> list[str]:
        with self._remote_errors(pattern):
            return sorted(self.fs.glob(pattern))

    def read_bytes(self, path: str) -> bytes:
        with self._remote_errors(path):
            return self.fs.cat_file(path)

    def write_bytes(self, path: str, data: bytes) -> None:
        if not self.local:
            with self._remote_errors(path):
                self.fs.pipe_file(path, data)
            return
        with self._remote_errors(path):
            folder = os.path.dirname(path)
            os.makedirs(folder, exist_ok=True)
            tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                raise

    def remove(self, path: str) -> None:
        with self._remote_errors(path):
            if self.fs.exists(path):
                self.fs.rm_file(path)

    def set_aside(self, path: str) -> str:
        """Rename a damaged file out of the readers' globs (``*.parquet``), kept for a person to see."""
        aside = f"{path}.damaged"
        with self._remote_errors(path):
            self.fs.mv(path, aside)
        return aside
