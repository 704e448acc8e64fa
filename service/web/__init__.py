"""The server-rendered pages: the tablet ballot (kiosk), the facilitator's console, the
result screen for the TV and the public board, on the same domain functions as the API.

Templates live in ``templates/``, plain CSS and small JavaScript files in ``static/``
(served locally, no build step); every label comes from ``service/locale/pages.toml``.
"""
