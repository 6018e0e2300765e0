"""The public rate limit counted in Redis: shared by every app (API process) on the same store; served
unthrottled, with a warning, while Redis is unreachable; memory:// refused in production."""

import logging

import pytest

from ledger.core.settings import Settings
from tests.web.conftest import unreachable_redis
from web.kit import throttle
from web.kit.throttle import refuse_memory_storage_in_production


def test_two_processes_on_one_redis_share_each_addresss_public_limit(site):
    settings = site.settings(public_burst=3, public_rate_per_second=0.01)
    with site.client(settings) as first, site.client(settings) as second:
        assert [first.get("/estimate").status_code, second.get("/estimate").status_code] == [200, 200]
        assert second.get("/estimate").status_code == 200
        refused = first.get("/estimate")
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 300


def test_with_redis_unreachable_public_pages_are_served_and_a_warning_is_logged(site, caplog, monkeypatch):
    monkeypatch.setattr(throttle, "_last_warning", float("-inf"))  # as if no warning was logged this minute
    settings = site.settings(throttle_storage_url=unreachable_redis(), public_burst=1)
    with caplog.at_level(logging.WARNING, logger="web.kit.throttle"), site.client(settings) as client:
        assert [client.get("/estimate").status_code for _ in range(3)] == [200, 200, 200]
    assert "public routes are served unthrottled" in caplog.text


def test_production_refuses_to_count_in_one_process(tmp_path):
    real = {
        "mnemonic": "abandon " * 11 + "about",
        "enterprise_pepper": "a-real-pepper",
        "field_keys": "k1:" + "A" * 43 + "=",
        "keystore_dir": tmp_path,
    }
    production = dict(environment="production", secrets=real, platform={"signing_key": "B" * 43 + "="})
    with pytest.raises(SystemExit, match="LEDGER_API_THROTTLE_STORAGE_URL=memory://"):
        refuse_memory_storage_in_production(Settings(**production, api={"session_secret": "s" * 40}))
    shared = Settings(**production, api={"session_secret": "s" * 40, "throttle_storage_url": "redis://r:6379/0"})
    refuse_memory_storage_in_production(shared)  # no exit
    refuse_memory_storage_in_production(Settings())  # development counts in memory
