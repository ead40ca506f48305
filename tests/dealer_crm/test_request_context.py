"""The audit log records the browser's address, also behind the store's reverse proxy."""

from django.test import RequestFactory

from dealer_crm.audit.context import client_ip


def request(remote: str, forwarded: str = ""):
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_address_is_the_peer(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("10.0.0.9", forwarded="1.2.3.4")) == "10.0.0.9"  # a forged header is ignored


def test_behind_a_trusted_proxy_the_client_comes_from_x_forwarded_for(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(request("10.0.0.2", forwarded="203.0.113.7")) == "203.0.113.7"


def test_a_forged_left_part_of_the_header_is_not_believed(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(request("10.0.0.2", forwarded="6.6.6.6, 203.0.113.7")) == "203.0.113.7"
