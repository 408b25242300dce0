"""The one place encrypted files are kept: paths cannot leave Halte's areas, writes never overwrite."""

import os
import stat
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.core import blobs


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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


def test_a_new_file_never_overwrites_and_is_private(settings):
    blobs.write_new("vault/2026/12/a.bin", b"first")
    with pytest.raises(FileExistsError):
        blobs.write_new("vault/2026/12/a.bin", b"second")
    assert blobs.read("vault/2026/12/a.bin") == b"first"
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
