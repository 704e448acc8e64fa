"""Every controller of the API, in one list for :func:`service.app.create_app`."""

from __future__ import annotations

from service.accounts.controllers import AccountController, UserController
from service.communities.controllers import CommunityController

ROUTES = [AccountController, UserController, CommunityController]
