"""The content-addressed document store: files by their digest under the crypto profile, written once
and atomically, within the size limit, PDF/PNG/JPEG decided from the content."""

import hashlib
import os

import gmalg
import pytest

from ledger.core.crypto_profile import GM, STANDARD
from ledger.domain.documents import DocumentStore, DocumentTampered
from ledger.domain.errors import NotFound, ValidationFailed
from tests.support.documents import GIF, HTML, JPEG, pdf, png


@pytest.fixture(autouse=True)
def published_rates():
    """The store keeps files, no rows: none of the domain tests' database (conftest's fixture, overridden)."""


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return DocumentStore(tmp_path / "documents", max_bytes=4096, profile=STANDARD)


def stored_files(store: DocumentStore) -> list[str]:
    return sorted(p.name for p in store.directory.rglob("*") if p.is_file())


def test_the_same_bytes_twice_are_kept_once_under_their_sha256(store):
    content = pdf(1)
    first, second = store.put(content), store.put(content)
    assert first == second
    assert first.digest == hashlib.sha256(content).hexdigest() and first.algorithm == "sha256"
    assert stored_files(store) == [first.digest]
    assert store.read(first.digest) == (content, first)


def test_under_the_gm_profile_the_name_is_the_sm3_digest(tmp_path):
    store = DocumentStore(tmp_path, max_bytes=4096, profile=GM)
    content = png(7)
    document = store.put(content)
    independent = gmalg.SM3()
    independent.update(content)
    assert document.digest == independent.value().hex() and document.algorithm == "sm3"
    assert store.path_of(document.digest).parent.parent.name == "sm3"


@pytest.mark.parametrize(
    ("content", "media_type"), [(pdf(), "application/pdf"), (png(), "image/png"), (JPEG, "image/jpeg")]
)
def test_pdf_png_and_jpeg_are_told_by_their_content(store, content, media_type):
    assert store.put(content).media_type == media_type


@pytest.mark.parametrize("content", [HTML, GIF, b"just some text, whatever its name says"])
def test_anything_else_is_refused_naming_the_rule_and_nothing_is_written(store, content):
    with pytest.raises(ValidationFailed) as refused:
        store.put(content)
    assert (refused.value.field, refused.value.rule) == ("file", "allowed_type")
    assert stored_files(store) == []


def test_a_gif_is_refused_by_its_detected_type(store):
    with pytest.raises(ValidationFailed, match="image/gif"):
        store.put(GIF)


def test_an_empty_file_is_refused(store):
    with pytest.raises(ValidationFailed) as refused:
        store.put(b"")
    assert refused.value.rule == "not_empty"


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_is_kept(store):
    at_limit = pdf() + b"0" * (store.max_bytes - len(pdf()))
    assert store.put(at_limit).size == store.max_bytes
    with pytest.raises(ValidationFailed) as refused:
        store.put(at_limit + b"0")
    assert refused.value.rule == "max_bytes" and "4096" in refused.value.detail
    assert len(stored_files(store)) == 1


def test_a_write_that_fails_midway_leaves_neither_the_file_nor_its_part(store, monkeypatch):
    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(pdf(2))
    assert stored_files(store) == []


def test_a_stored_file_altered_on_disk_is_served_to_no_one(store):
    document = store.put(pdf(3))
    store.path_of(document.digest).write_bytes(pdf(4))
    with pytest.raises(DocumentTampered):
        store.read(document.digest)


@pytest.mark.parametrize("digest", ["../../etc/passwd", "0" * 63, "A" * 64, "0" * 64])
def test_a_name_that_is_no_stored_digest_is_not_found(store, digest):
    with pytest.raises(NotFound):
        store.read(digest)
