"""The OpenAPI document the service serves at ``/api/v1/schema/openapi.json``, true to what
it answers: every refusal in the one error shape (:class:`service.errors.ErrorBody`) for
every status an operation can give, downloads with their real media types, unions that
accept what the service sends. The schema page is a plain page linking the document.
"""
