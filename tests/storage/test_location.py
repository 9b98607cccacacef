import asyncio
import gc
import logging
import os

import pytest

from steplabel.storage.location import Location, StoreUnavailable


def test_a_local_location_writes_whole_files_and_leaves_no_temporary(tmp_path):
    where = Location(tmp_path / "s")
    path = where.path("a", "b.bin")
    where.write_bytes(path, b"x" * 10)
    assert where.read_bytes(path) == b"x" * 10 and where.exists(path)
    assert os.listdir(tmp_path / "s" / "a") == ["b.bin"]
    assert where.uri(path) == path and where.local


def test_remote_client_errors_become_store_unavailable(tmp_path):
    pytest.importorskip("s3fs")
    where = Location("s3://bucket/store")
    assert not where.local and where.uri(where.path("x")) == "s3://bucket/store/x"

    class Boom(Exception):
        pass

    def fail(*a, **k):
        raise Boom("endpoint down")

    where.fs.pipe_file = fail
    with pytest.raises(StoreUnavailable, match="s3://bucket/store/x: Boom: endpoint down") as info:
        where.write_bytes(where.path("x"), b"1")
    assert isinstance(info.value, OSError) and isinstance(info.value.__cause__, Boom)


def test_orphaned_futures_on_fsspecs_loop_are_not_printed_with_a_traceback(caplog):
    pytest.importorskip("s3fs")
    from fsspec.asyn import get_loop

    Location("s3://bucket/store")  # a remote location quiets fsspec's loop

    async def orphan():
        future = asyncio.get_running_loop().create_future()
        future.set_exception(ConnectionResetError("Cannot write to closing transport"))
        del future  # nobody awaits it: asyncio reports it when it is collected
        gc.collect()

    with caplog.at_level(logging.DEBUG):
        asyncio.run_coroutine_threadsafe(orphan(), get_loop()).result(10)
    errors = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
    assert errors == []
    assert any("never retrieved" in r.getMessage() for r in caplog.records if r.name == "steplabel.storage.location")
