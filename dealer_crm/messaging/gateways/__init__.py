"""The gateways, one class each behind the interface in `base`; `SMS_GATEWAY` chooses one."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Gateway

GATEWAYS = {
    "console": "dealer_crm.messaging.gateways.console.ConsoleGateway",
    "http": "dealer_crm.messaging.gateways.http.HttpGateway",
    "aliyun": "dealer_crm.messaging.gateways.aliyun.AliyunGateway",
    "tencent": "dealer_crm.messaging.gateways.tencent.TencentGateway",
}


def gateway_class(name: str) -> type[Gateway]:
    if name not in GATEWAYS:
        raise KeyError(name)
    return import_string(GATEWAYS[name])


def get_gateway(name: str | None = None) -> Gateway:
    """The gateway of SMS_GATEWAY (or the one named), configured from the settings."""
    return gateway_class(name or settings.SMS_GATEWAY).from_settings()
