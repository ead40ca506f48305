from .context import current_request, request_context_from


class AuditContextMiddleware:
    """Makes the request's IP address and browser available to `audit_record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request_context_from(request))
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
