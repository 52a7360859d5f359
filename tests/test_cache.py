"""The decision cache behind drpolicy.is_allowed: it must never answer for another request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import drpolicy
from drpolicy._cache import DecisionCache

ROLE = drpolicy.Role.from_policies("r", [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"k": "1"}}}]}])


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    drpolicy.decision_cache.clear()
    yield
    drpolicy.decision_cache.maxsize = 65536


def test_context_is_part_of_the_key() -> None:
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": "1"}) is True
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": "2"}) is False
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*") is False
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": "1"}) is True


def test_values_that_hash_alike_are_not_confused() -> None:
    # 1 == True and hash(1) == hash(True), but they mean "1" and "true"
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": 1}) is True
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": True}) is False
    assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": 1}) is True


def test_lists_and_tuples_are_cached_and_correct() -> None:
    for _ in range(2):
        assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": ["1"]}) is True
        assert drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": ("2",)}) is False
    assert len(drpolicy.decision_cache) == 2


def test_cached_answers_equal_uncached_ones_on_the_catalog() -> None:
    requests = [
        ("deepracer", "s3:GetObject", "arn:aws:s3:::deepracer-x/k", None),
        ("deepracer", "s3:GetObject", "arn:aws:s3:::other/k", {"s3:ExistingObjectTag/DeepRacer": "true"}),
        ("sagemaker", "iam:PassRole", "arn:aws:iam::123456789012:role/x",
         {"iam:PassedToService": "robomaker.amazonaws.com"}),
    ]
    for name, action, resource, context in requests:
        uncached = drpolicy.role(name).is_allowed(action, resource, context)
        assert drpolicy.is_allowed(name, action, resource, context) is uncached
        assert drpolicy.is_allowed(name, action, resource, context) is uncached  # from the cache


def test_maxsize_zero_switches_it_off() -> None:
    drpolicy.decision_cache.maxsize = 0
    drpolicy.is_allowed(ROLE, "s3:GetObject", "*", {"k": "1"})
    assert len(drpolicy.decision_cache) == 0


def test_bounded() -> None:
    cache = DecisionCache(maxsize=4)
    for i in range(10):
        cache.put(i, True)
        assert len(cache) <= 4
    assert cache.get(9) is True and cache.get(0) is None


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_sizes(bad: object) -> None:
    with pytest.raises(ValueError):
        drpolicy.decision_cache.maxsize = bad  # type: ignore[assignment]


def test_bad_requests_are_not_cached_and_still_raise() -> None:
    for _ in range(2):
        with pytest.raises(drpolicy.RequestError):
            drpolicy.is_allowed(ROLE, "s3:GetObject", "not-an-arn")
        with pytest.raises(drpolicy.RequestError):
            drpolicy.is_allowed(ROLE, ["s3:GetObject"], "*")  # type: ignore[arg-type]


def _distinct(n: int, start: int = 0) -> list[tuple[str, str]]:
    return [("s3:GetObject", f"arn:aws:s3:::bucket/key-{i}") for i in range(start, start + n)]


def test_steps_aside_on_distinct_traffic_and_answers_the_same() -> None:
    from drpolicy._cache import BYPASS, WINDOW

    role = drpolicy.role("deepracer")
    cache = drpolicy.decision_cache
    requests = _distinct(WINDOW + 100)
    for action, resource in requests[:WINDOW]:
        assert drpolicy.is_allowed(role, action, resource) is role.is_allowed(action, resource)
    assert cache.bypassing  # a window of misses only
    size = len(cache)
    assert size == WINDOW
    for action, resource in requests[WINDOW:]:
        assert drpolicy.is_allowed(role, action, resource) is role.is_allowed(action, resource)
    assert len(cache) == size  # nothing looked up or inserted while stepping aside
    # after BYPASS requests it looks again; a repeated stream then hits and keeps it on
    for action, resource in _distinct(BYPASS - 100, start=10 * WINDOW):
        drpolicy.is_allowed(role, action, resource)
    assert not cache.bypassing
    hot = _distinct(10)
    for _ in range(2 * WINDOW // 10 + 1):
        for action, resource in hot:
            assert drpolicy.is_allowed(role, action, resource) is role.is_allowed(
                action, resource
            )
    assert not cache.bypassing
    assert all(cache.get((role, a, r)) is not None for a, r in hot)


def test_a_good_hit_rate_keeps_it_on() -> None:
    from drpolicy._cache import WINDOW

    role = drpolicy.role("deepracer")
    hot = _distinct(50)
    cold = iter(_distinct(10 * WINDOW, start=1000))
    for i in range(3 * WINDOW):  # two hits in three requests
        action, resource = hot[i % 50] if i % 3 else next(cold)
        drpolicy.is_allowed(role, action, resource)
        assert not drpolicy.decision_cache.bypassing


def test_clear_resets_the_statistics() -> None:
    from drpolicy._cache import WINDOW

    role = drpolicy.role("deepracer")
    for action, resource in _distinct(WINDOW):
        drpolicy.is_allowed(role, action, resource)
    assert drpolicy.decision_cache.bypassing
    drpolicy.decision_cache.clear()
    assert not drpolicy.decision_cache.bypassing and len(drpolicy.decision_cache) == 0
