"""The one place encrypted files are kept: paths cannot leave Halte's areas, writes never overwrite.

Every behaviour is checked on both backends: the local folder and a real S3-compatible server
(moto in server mode, tests/s3.py), the latter with a prefix as a deployment would use."""

import os
import stat
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.core import blobs
from halte.core.storage_url import parse


@pytest.fixture(autouse=True, params=["local", "s3"])
def backend(request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "s3":
        return request.getfixturevalue("object_store")
    settings.HALTE_STORAGE = None
    return None


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/etc/passwd",
        "vault",
        "vault/../documents/x.bin",
        "vault/./x.bin",
        "static/x.css",
        "vault\\x.bin",
        "../vault/x.bin",
        "vault//x.bin",
    ],
)
def test_paths_outside_the_areas_are_refused(path):
    with pytest.raises(blobs.BlobPathRefused):
        blobs.write_new(path, b"x")
    with pytest.raises(blobs.BlobPathRefused):
        blobs.read(path)


def test_a_new_file_never_overwrites_and_is_private(settings, backend):
    blobs.write_new("vault/2026/12/a.bin", b"first")
    with pytest.raises(FileExistsError):
        blobs.write_new("vault/2026/12/a.bin", b"second")
    assert blobs.read("vault/2026/12/a.bin") == b"first"
    if backend is not None:
        return
    mode = stat.S_IMODE(os.stat(settings.MEDIA_ROOT / "vault/2026/12/a.bin").st_mode)
    assert mode == 0o600


def test_replace_swaps_the_content_and_leaves_no_temporary_file():
    blobs.write_new("documents/2026/12/d.bin", b"old")
    blobs.replace("documents/2026/12/d.bin", b"new")
    assert blobs.read("documents/2026/12/d.bin") == b"new"
    assert [item.path for item in blobs.listing("documents")] == ["documents/2026/12/d.bin"]


def test_missing_files_and_deletes():
    with pytest.raises(blobs.BlobMissing):
        blobs.read("vault/none.bin")
    assert not blobs.exists("vault/none.bin")
    blobs.delete("vault/none.bin")  # already gone: not an error
    blobs.write_new("vault/x.bin", b"x")
    blobs.delete("vault/x.bin")
    assert not blobs.exists("vault/x.bin")


def test_listing_is_per_area_and_dated():
    blobs.write_new("vault/2026/01/a.bin", b"a")
    blobs.write_new("keycheck/k1.bin", b"k")
    listed = list(blobs.listing("vault"))
    assert [item.path for item in listed] == ["vault/2026/01/a.bin"]
    assert abs(listed[0].modified - timezone.now()) < timedelta(minutes=1)
    assert list(blobs.listing("documents")) == []
    with pytest.raises(blobs.BlobPathRefused):
        list(blobs.listing("static"))


# --- The object store only -------------------------------------------------------------------------
@pytest.fixture
def s3(backend):
    if backend is None:
        pytest.skip("object store only")
    return backend


def test_objects_live_under_the_prefix_and_nothing_is_left_on_disk(s3, s3_server, settings):
    blobs.write_new("vault/2026/12/a.bin", b"sealed")
    blobs.replace("vault/2026/12/a.bin", b"resealed")
    assert s3_server.objects(s3.bucket) == {"halte/vault/2026/12/a.bin": b"resealed"}
    assert not (settings.MEDIA_ROOT / "vault").exists()


def test_the_conditional_put_refuses_a_writer_that_arrived_after_the_look(s3, monkeypatch):
    """Another machine writes the same name between our HEAD and our PUT: If-None-Match refuses ours."""
    blobs.write_new("vault/2026/12/race.bin", b"the other machine's")
    monkeypatch.setattr(blobs, "_s3_exists", lambda config, relative: False)
    with pytest.raises(FileExistsError):
        blobs.write_new("vault/2026/12/race.bin", b"ours")
    monkeypatch.undo()
    assert blobs.read("vault/2026/12/race.bin") == b"the other machine's"


def test_two_writers_of_one_name_at_once_one_wins_and_its_bytes_stay(s3):
    results: list[object] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            blobs.write_new("keycheck/same.bin", f"writer {n}".encode())
            results.append(n)
        except FileExistsError:
            results.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if r != "refused"]
    assert len(results) == 8
    assert len(winners) == 1
    assert blobs.read("keycheck/same.bin") == f"writer {winners[0]}".encode()


def test_replace_is_seen_whole_by_readers(s3):
    old, new = b"o" * 300_000, b"n" * 300_000
    blobs.write_new("documents/big.bin", old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(blobs.read("documents/big.bin"))

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(5):
        blobs.replace("documents/big.bin", new)
        blobs.replace("documents/big.bin", old)
    stop.set()
    thread.join(timeout=60)
    assert seen <= {old, new}


def test_objects_not_written_by_halte_are_never_listed(s3, s3_server):
    from tests.s3 import client

    blobs.write_new("vault/2026/12/good.bin", b"g")
    for key in ("halte/vault/", "halte/vault//x.bin", "halte/vault/../documents/y.bin", "halte/vaultx/z.bin"):
        client().put_object(Bucket=s3.bucket, Key=key, Body=b"foreign")
    client().put_object(Bucket=s3.bucket, Key="vault/2026/12/outside-prefix.bin", Body=b"foreign")
    assert [item.path for item in blobs.listing("vault")] == ["vault/2026/12/good.bin"]


def test_listing_pages_through_several_pages_of_objects(s3, monkeypatch):
    """S3 answers a listing a page of keys at a time (1,000 at most): every page is walked."""
    monkeypatch.setattr(blobs, "LIST_PAGE", 7)
    names = [f"vault/2026/12/{n:05d}.bin" for n in range(23)]
    for name in names:
        blobs.write_new(name, b"x")
    calls = []
    original = blobs._s3_call
    monkeypatch.setattr(blobs, "_s3_call", lambda *args, **kwargs: calls.append(args[1]) or original(*args, **kwargs))
    assert [item.path for item in blobs.listing("vault")] == names
    assert calls.count("list") == 4  # 7 + 7 + 7 + 2


def test_a_store_that_does_not_answer_is_an_oserror_not_a_crash(settings, s3):
    from tests.s3 import _free_port

    dead = parse(f"s3://k:s@127.0.0.1:{_free_port()}/halte-dead?tls=false")
    settings.HALTE_STORAGE = dead
    for operation in (
        lambda: blobs.write_new("vault/x.bin", b"x"),
        lambda: blobs.replace("vault/x.bin", b"x"),
        lambda: blobs.read("vault/x.bin"),
        lambda: blobs.exists("vault/x.bin"),
        lambda: blobs.delete("vault/x.bin"),
        lambda: list(blobs.listing("vault")),
    ):
        with pytest.raises(blobs.BlobStoreUnavailable) as caught:
            operation()
        assert isinstance(caught.value, OSError)
        assert not isinstance(caught.value, (FileExistsError, FileNotFoundError))
        assert "s:" not in str(caught.value)


def test_a_missing_bucket_is_an_unavailable_store_not_a_missing_file(settings, s3, s3_server):
    settings.HALTE_STORAGE = parse(f"s3://k:s@127.0.0.1:{s3_server.port}/halte-nothere-bucket?tls=false")
    with pytest.raises(blobs.BlobStoreUnavailable):
        blobs.read("vault/x.bin")
    with pytest.raises(blobs.BlobStoreUnavailable):
        blobs.write_new("vault/x.bin", b"x")
    with pytest.raises(blobs.BlobStoreUnavailable):
        list(blobs.listing("vault"))
