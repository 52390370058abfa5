"""The redline cache: keyed by content and code, atomic, and safe to delete."""

from __future__ import annotations

from generator.site.cache import ContentCache


def test_cached_value_is_found_again_by_the_same_content(tmp_path):
    cache = ContentCache(tmp_path, "redlines", "code-v1")
    key = cache.key("sha-old", "sha-new")
    assert cache.get(key) is None
    cache.put(key, "<div>redline</div>")
    assert ContentCache(tmp_path, "redlines", "code-v1").get(key) == "<div>redline</div>"


def test_new_code_or_new_content_misses_the_old_entry(tmp_path):
    old_code = ContentCache(tmp_path, "redlines", "code-v1")
    old_code.put(old_code.key("a", "b"), "old rendering")
    new_code = ContentCache(tmp_path, "redlines", "code-v2")
    assert new_code.get(new_code.key("a", "b")) is None
    assert old_code.get(old_code.key("a", "c")) is None


def test_unreadable_entry_is_a_miss_not_an_error(tmp_path):
    cache = ContentCache(tmp_path, "redlines", "v")
    key = cache.key("a", "b")
    cache.put(key, "x")
    path = next((tmp_path / "redlines").rglob("*.html"))
    path.write_bytes(b"\xff\xfe broken")
    assert cache.get(key) is None


def test_cache_without_folder_stores_nothing(tmp_path):
    cache = ContentCache(None, "redlines", "v")
    cache.put("k", "x")
    assert cache.get("k") is None
    assert list(tmp_path.iterdir()) == []
