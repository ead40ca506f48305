"""A generic HTTP gateway, for providers and in-house relays that speak this contract:

- send: POST SMS_HTTP_URL with {"messages": [{"id", "phone", "text"}]}, at most SMS_HTTP_BATCH
  messages a request; a 2xx answer is {"results": [{"id", "status": "accepted"|"rejected", "reason"}]};
  5xx or a connection error is temporary; 4xx is permanent, with the body as the reason; a timeout
  is unknown (the gateway may have the messages);
- receipts: the gateway POSTs [{"id", "status": "delivered"|"failed", "reason"}];
- replies: the gateway POSTs {"phone", "text"}.
"""

import json
import threading

import requests
from django.conf import settings

from .. import reasons
from .base import (
    ACCEPTED, REJECTED, TEMPORARY, UNKNOWN, BadPush, Gateway, Outgoing, Receipt, Reply, Result, all_results, read_out_id,
)

_sessions = threading.local()


def _session() -> requests.Session:
    """One connection pool per thread: a bulk send reuses its connections to the gateway."""
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session


def _load(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadPush("The body is not JSON.") from error


class HttpGateway(Gateway):
    name = "http"

    def __init__(self, url: str, *, batch_size: int = 100, timeout: float = 10.0, auth_token: str = ""):
        self.url = url
        self.batch_size = batch_size
        self.timeout = timeout
        self.auth_token = auth_token

    @classmethod
    def from_settings(cls) -> "HttpGateway":
        return cls(settings.SMS_HTTP_URL, batch_size=settings.SMS_HTTP_BATCH, timeout=settings.SMS_HTTP_TIMEOUT,
                   auth_token=settings.SMS_HTTP_AUTH_TOKEN)

    def send(self, messages: list[Outgoing]) -> list[Result]:
        payload = {"messages": [{"id": str(m.id), "phone": m.phone, "text": m.text} for m in messages]}
        headers = {"Authorization": f"Bearer {self.auth_token}"} if self.auth_token else {}
        try:
            response = _session().post(self.url, json=payload, timeout=self.timeout, headers=headers)
        except requests.Timeout:
            return all_results(messages, UNKNOWN, code=reasons.TIMEOUT)
        except requests.ConnectionError as error:
            return all_results(messages, TEMPORARY, type(error).__name__, code=reasons.NO_CONNECTION)
        if response.status_code >= 500:
            return all_results(messages, TEMPORARY, f"HTTP {response.status_code}", code=reasons.HTTP_ERROR)
        if response.status_code >= 400:  # the body is the gateway's own words
            return all_results(messages, REJECTED, f"HTTP {response.status_code}: {response.text[:300]}",
                               code=reasons.HTTP_ERROR)
        return self._results(messages, response)

    def _results(self, messages: list[Outgoing], response) -> list[Result]:
        try:
            answers = {str(item["id"]): item for item in response.json()["results"]}
        except (ValueError, KeyError, TypeError):
            # A 2xx we cannot read: the gateway took the request, so the messages may be on their way.
            return all_results(messages, UNKNOWN, code=reasons.UNREADABLE_ANSWER)
        results = []
        for message in messages:
            answer = answers.get(str(message.id))
            if answer is None:
                results.append(Result(id=message.id, outcome=UNKNOWN, code=reasons.NOT_IN_ANSWER))
            elif answer.get("status") == "accepted":
                results.append(Result(id=message.id, outcome=ACCEPTED, ref=str(answer.get("ref", ""))[:100]))
            else:
                results.append(Result(id=message.id, outcome=REJECTED, reason=str(answer.get("reason") or "")[:500]))
        return results

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        data = _load(body)
        if not isinstance(data, list):
            raise BadPush("Receipts are a JSON array.")
        receipts = []
        for item in data:
            if not isinstance(item, dict) or item.get("status") not in ("delivered", "failed"):
                raise BadPush("Each receipt has an id and a status of delivered or failed.")
            receipts.append(Receipt(id=read_out_id(item.get("id")), delivered=item["status"] == "delivered",
                                    reason=str(item.get("reason") or "")[:500]))
        return receipts

    def parse_replies(self, body: bytes) -> list[Reply]:
        data = _load(body)
        if not isinstance(data, dict) or not isinstance(data.get("phone"), str) or not isinstance(data.get("text"), str):
            raise BadPush("A reply is {\"phone\": …, \"text\": …}.")
        return [Reply(phone=data["phone"], text=data["text"][:500])]
