"""Who is asking, for lockout and rate limits; and rate limits that fail open when their cache is away."""

import pytest
from django.test import RequestFactory

from compact_portal.accounts.security import client_ip, rate_limited, sign_in_username


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "", "192.0.2.10"),
        (False, "203.0.113.5", "192.0.2.10"),  # a client cannot choose its address by sending the header
        (True, "203.0.113.5", "203.0.113.5"),
        (True, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # only the entry the proxy added counts
        (True, "", "192.0.2.10"),
    ],
)
def test_the_client_address_is_the_connections_or_the_one_the_proxy_added(settings, behind_proxy, forwarded, expected):
    settings.BEHIND_TLS_PROXY = behind_proxy
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [({"username": " Olivia@Example.ORG "}, "olivia@example.org"), ({}, ""), (None, "")],
)
def test_sign_in_attempts_count_against_the_address_as_matched(credentials, expected):
    assert sign_in_username(None, credentials) == expected


def test_a_rate_limit_counts_up_to_its_rate():
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10")

    answers = [rate_limited(request, group="test", key="ip", rate="2/h") for _ in range(3)]

    assert answers == [False, False, True]


def test_a_rate_limit_lets_the_request_through_when_its_cache_is_away(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.10")

    assert rate_limited(request, group="test", key="ip", rate="1/h") is False
    assert rate_limited(request, group="test", key="ip", rate="1/h") is False
    assert "could not be counted" in caplog.text
