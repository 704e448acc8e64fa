"""The litestar application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, get, post
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody

from service.auth.guard import provide_actor, role_guard, roles
from service.auth.hashing import PasswordHasher
from service.auth.throttle import RememberedLocks
from service.db.base import utcnow
from service.db.session import create_engine, provide_transaction, sessionmaker
from service.errors import EXCEPTION_HANDLERS
from service.events import channels_plugin
from service.headers import secure_headers
from service.offload import offload_lifespan
from service.openapi.served import openapi_config
from service.paths import refuse_control_paths
from service.pauses import frozen_startup
from service.phases import finish_closes
from service.records.controllers import whole_round_export
from service.results import purge
from service.routes import ROUTES
from service.settings import Settings
from service.voting.lockouts import lockouts
from service.voting.writer import cast_writer
from service.web.pages import PAGES, csrf_config, csrf_refused, template_config

API = "/api/v1"
MAX_BODY = 256 * 1024
"""Largest request body accepted (a ballot is a few hundred bytes)."""


@get(f"{API}/ping", opt=roles("public"), sync_to_thread=False)
def ping() -> dict[str, bool]:
    """Liveness check (no database)."""
    return {"ok": True}


@post(f"{API}/noop", opt=roles("public"), sync_to_thread=False)
def noop(data: JSONBody[dict[str, object]]) -> dict[str, bool]:
    """Decodes a JSON body and answers, touching nothing: the baseline for benchmarks.
    Routed only when ``Settings.benchmark_endpoints`` is on."""
    return {"ok": bool(data) or True}


def create_app(settings: Settings | None = None) -> Litestar:
    """The application for ``settings`` (default: from the environment)."""
    settings = (settings or Settings.from_env()).with_secret()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine)
        purge.start(engine)  # what a server that stopped after a close left behind
        try:
            yield
        finally:
            await purge.purged()  # purges after a close finish before the pool goes
            await engine.dispose()

    @asynccontextmanager
    async def accounts(app: Litestar) -> AsyncGenerator[None, None]:
        """Password hashing for this worker, bounded and off the event loop, and the sign-in
        lockouts it has read."""
        app.state.passwords = PasswordHasher()
        app.state.sign_in_locks = RememberedLocks()
        yield

    @asynccontextmanager
    async def unfinished_closes(app: Litestar) -> AsyncGenerator[None, None]:
        """Count, in the background, the rounds a stopped server left closed without a
        result (after the worker pool's lifespan, which counts run in)."""
        task = asyncio.get_running_loop().create_task(
            finish_closes(app.state.engine, settings.secret_key)
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    benchmarks = [noop, whole_round_export] if settings.benchmark_endpoints else []
    app = Litestar(
        route_handlers=[ping, *benchmarks, *ROUTES, *PAGES],
        guards=[role_guard],
        middleware=[refuse_control_paths],
        dependencies={"db": Provide(provide_transaction), "actor": Provide(provide_actor)},
        exception_handlers={**EXCEPTION_HANDLERS, PermissionDeniedException: csrf_refused},
        template_config=template_config(),
        csrf_config=csrf_config(settings.secret_key),
        plugins=[channels_plugin(settings)],
        lifespan=[
            database,
            accounts,
            cast_writer,
            lockouts,
            offload_lifespan,
            unfinished_closes,
            frozen_startup,
        ],
        openapi_config=openapi_config(),
        before_send=[secure_headers],
        request_max_body_size=MAX_BODY,
        debug=False,
    )
    app.state.settings = settings
    app.state.clock = utcnow  # tests move it instead of sleeping
    return app
