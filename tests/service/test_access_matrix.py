"""The authorization matrix: every endpoint × every role × anonymous, from ONE table.

:data:`ACCESS` below says, for each (method, path template) of the app, who may call it. It
is written from what each endpoint is for (handler docstrings, README.md, docs/pages.md,
docs/records.md), not read from the code, and it is checked against the code three ways:

1. the table has a row for exactly the app's endpoints (a new endpoint without a row fails,
   and so does a stale row);
2. each handler's declared ``opt["roles"]`` admits exactly the callers of its row (so a role
   changed on a handler fails until the table is changed too);
3. a real request for every row as every caller: a caller the row leaves out gets the
   guard's refusal — API: anonymous 401 ``not-signed-in``, staff 403 ``forbidden``; pages:
   anonymous 303 to ``/console/login?next=<path>``, staff a 403 page with
   ``data-code="forbidden"`` — and a caller the row lets in gets anything but a refusal
   (404 for the made-up ids, 400 for the empty bodies, kiosk's ``tablet-not-enrolled`` ...).
   Every page answer (HTML, redirect, and the tablet's JSON calls) also carries the
   security headers. The live-events websocket is checked the same way: accepted, or closed
   before it is accepted with 4401 (anonymous) or 4403 (a role left out).

The app is made with every endpoint it can have: the benchmark-only no-op endpoint, routed
only when ``Settings.benchmark_endpoints`` is on, is in the table too (off, it is not routed:
``tests/service/test_benchmark_endpoints.py``). Every API answer is checked for the API's headers
(:data:`service.headers.API_HEADERS`).

Path ids are 1 (nothing exists, so allowed callers mostly get 404 or 400 and nothing
changes); page POSTs carry a valid form token so that the CSRF check is never the answer.
The real requests run on SQLite only: who may call what is decided by the guard before any
handler touches the database, and the database work behind each endpoint (the scope's
lookups included) is tested on both databases by the endpoint's own tests and by the
schema-driven requests of ``tests/load/test_schema.py``; some 2,200 requests more on
PostgreSQL would add minutes and nothing the other tests do not check. The requests share
one app, one database and one staff member of each role (module scope): the ``client``
and ``staff`` fixtures per case (a fresh database and four scrypt hashes) cost about a
quarter of a second each, minutes for the whole matrix.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.auth.guard import PUBLIC as DECLARED_PUBLIC
from service.auth.guard import token_hash
from service.db import street as models
from service.db.models import ROLES, ApiToken, User
from service.db.session import create_engine, sessionmaker
from service.headers import API_HEADERS
from service.settings import Settings
from service.web.render import LOGIN, SECURITY_HEADERS
from tests.support.app import SECRET, cheap_hashing, make_staff
from tests.support.databases import empty_database
from tests.support.pages import token_from

ANONYMOUS = "anonymous"
STAFF = frozenset({"admin", "facilitator", "secretary", "grid_worker"})  # in a community
STREET = frozenset({"street", "admin"})  # the street office's pages and figures
ACCOUNTS = STAFF | {"street"}  # every signed-in account
PUBLIC = ACCOUNTS | {ANONYMOUS}  # anyone, signed in or not
ADMIN = frozenset({"admin"})
FACILITATORS = frozenset({"facilitator", "admin"})  # run deliberation, rounds, meetings
SECRETARIES = frozenset({"secretary", "admin"})  # carry decisions out, keep the records
PROCESS_OWNERS = FACILITATORS | SECRETARIES  # open processes, move them (per-phase check inside)
REQUEST_TAKERS = frozenset({"grid_worker", "facilitator", "admin"})  # log residents' requests
ADJUDICATORS = frozenset({"facilitator", "secretary", "admin"})  # decide paper mismatches
TEAM_KEEPERS = frozenset({"facilitator", "secretary", "admin"})  # keep the red-bench team
CALLERS = (ANONYMOUS, "admin", "facilitator", "secretary", "grid_worker", "street")
WEBSOCKET = "WEBSOCKET"

# fmt: off
ACCESS: dict[tuple[str, str], frozenset[str]] = {
    # ---- API: service, accounts ------------------------------------------------------------
    ("GET",    "/api/v1/ping"):                                        PUBLIC,
    ("POST",   "/api/v1/noop"):                                        PUBLIC,  # benchmarks only
    ("GET",    "/api/v1/benchmark/rounds/{round_id}/exports/{fmt}"):   SECRETARIES,  # the same
    ("POST",   "/api/v1/auth/login"):                                  PUBLIC,
    ("POST",   "/api/v1/auth/logout"):                                 ACCOUNTS,
    ("GET",    "/api/v1/auth/me"):                                     ACCOUNTS,
    ("GET",    "/api/v1/users"):                                       ADMIN,
    ("POST",   "/api/v1/users"):                                       ADMIN,
    ("PATCH",  "/api/v1/users/{user_id}"):                             ADMIN,
    # ---- API: communities and grids (admin writes, staff read) -----------------------------
    ("GET",    "/api/v1/communities"):                                 STAFF,
    ("POST",   "/api/v1/communities"):                                 ADMIN,
    ("GET",    "/api/v1/communities/{community_id}"):                  STAFF,
    ("PATCH",  "/api/v1/communities/{community_id}"):                  ADMIN,
    ("POST",   "/api/v1/communities/{community_id}/grids"):            ADMIN,
    # ---- API: the community's household roll (every staff role keeps it) -------------------
    ("GET",    "/api/v1/communities/{community_id}/households"):       STAFF,
    ("POST",   "/api/v1/communities/{community_id}/households"):       STAFF,
    ("PATCH",  "/api/v1/communities/{community_id}/households/{household_id}"): STAFF,
    ("POST",   "/api/v1/communities/{community_id}/households/import"): STAFF,
    # ---- API: proxies in a household round (facilitators and secretaries) ------------------
    ("GET",    "/api/v1/rounds/{round_id}/proxies"):                   PROCESS_OWNERS,
    ("POST",   "/api/v1/rounds/{round_id}/proxies"):                   PROCESS_OWNERS,
    ("POST",   "/api/v1/rounds/{round_id}/proxies/{proxy_id}/revoke"): PROCESS_OWNERS,
    ("GET",    "/api/v1/rounds/{round_id}/proxies/{proxy_id}/photo"):  PROCESS_OWNERS,
    ("PUT",    "/api/v1/rounds/{round_id}/proxy-limit"):               PROCESS_OWNERS,
    # ---- pages: the household roll and proxies -------------------------------------------
    ("GET",    "/console/communities/{community_id}/households"):      STAFF,
    ("POST",   "/console/communities/{community_id}/households"):      STAFF,
    ("POST",   "/console/communities/{community_id}/households/{household_id}"): STAFF,
    ("POST",   "/console/communities/{community_id}/households/import"): STAFF,
    ("GET",    "/console/rounds/{round_id}/proxies"):                  PROCESS_OWNERS,
    ("POST",   "/console/rounds/{round_id}/proxies"):                  PROCESS_OWNERS,
    ("POST",   "/console/rounds/{round_id}/proxies/{proxy_id}/revoke"): PROCESS_OWNERS,
    ("POST",   "/console/rounds/{round_id}/proxy-limit"):              PROCESS_OWNERS,
    # ---- API: processes and residents' requests --------------------------------------------
    ("GET",    "/api/v1/communities/{community_id}/processes"):        STAFF,
    ("POST",   "/api/v1/communities/{community_id}/processes"):        PROCESS_OWNERS,
    ("GET",    "/api/v1/processes/{process_id}"):                      STAFF,
    ("POST",   "/api/v1/processes/{process_id}/phase"):                PROCESS_OWNERS,
    ("GET",    "/api/v1/communities/{community_id}/requests"):         STAFF,
    ("POST",   "/api/v1/communities/{community_id}/requests"):         REQUEST_TAKERS,
    ("GET",    "/api/v1/requests/{request_id}"):               ACCOUNTS,  # street: once escalated
    ("POST",   "/api/v1/requests/{request_id}/promote"):               PROCESS_OWNERS,
    ("POST",   "/api/v1/requests/{request_id}/decline"):               PROCESS_OWNERS,
    # ---- API: proposals (facilitators edit, staff read) ------------------------------------
    ("GET",    "/api/v1/processes/{process_id}/proposals"):            STAFF,
    ("POST",   "/api/v1/processes/{process_id}/proposals"):            FACILITATORS,
    ("GET",    "/api/v1/proposals/{proposal_id}"):                     STAFF,
    ("PATCH",  "/api/v1/proposals/{proposal_id}"):                     FACILITATORS,
    ("POST",   "/api/v1/proposals/{proposal_id}/merge"):               FACILITATORS,
    ("POST",   "/api/v1/proposals/{proposal_id}/withdraw"):            FACILITATORS,
    # ---- API: rounds (facilitators run them, staff read) -----------------------------------
    ("GET",    "/api/v1/processes/{process_id}/rounds"):               STAFF,
    ("POST",   "/api/v1/processes/{process_id}/rounds"):               FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}"):                           STAFF,
    ("PATCH",  "/api/v1/rounds/{round_id}"):                           FACILITATORS,
    ("PUT",    "/api/v1/rounds/{round_id}/slate"):                     FACILITATORS,
    ("POST",   "/api/v1/rounds/{round_id}/phase"):                     FACILITATORS,
    ("POST",   "/api/v1/rounds/{round_id}/cancel"):                    FACILITATORS,
    # ---- API: comments (facilitators record and hide, staff read) --------------------------
    ("GET",    "/api/v1/rounds/{round_id}/comments"):                  STAFF,
    ("POST",   "/api/v1/rounds/{round_id}/comments"):                  FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}/comments/summary"):          STAFF,
    ("POST",   "/api/v1/comments/{comment_id}/hide"):                  FACILITATORS,
    # ---- API: voter codes, casting, live events --------------------------------------------
    ("POST",   "/api/v1/rounds/{round_id}/codes"):                     FACILITATORS,
    ("POST",   "/api/v1/rounds/{round_id}/codes/void"):                FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}/turnout"):                   STAFF,
    ("GET",    "/api/v1/rounds/{round_id}/late-ballots"):              STAFF,  # with the turnout
    ("POST",   "/api/v1/rounds/{round_id}/ballots"):                   PUBLIC,  # a code is the key
    ("PUT",    "/api/v1/rounds/{round_id}/phone-window"):              FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}/phone-window"):              STAFF,
    (WEBSOCKET, "/api/v1/rounds/{round_id}/events"):                   STAFF,
    # ---- API: paper ballots keyed twice (any staff member keys; a third person decides) -----
    ("GET",    "/api/v1/rounds/{round_id}/paper-ballots.pdf"):         FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}/paper"):                     STAFF,
    ("POST",   "/api/v1/rounds/{round_id}/paper/entries"):             STAFF,
    ("GET",    "/api/v1/rounds/{round_id}/paper/mismatches"):          ADJUDICATORS,
    ("POST",   "/api/v1/rounds/{round_id}/paper/adjudications"):       ADJUDICATORS,
    # ---- API: results (staff once closed, everyone once published: checked inside) ---------
    ("GET",    "/api/v1/rounds/{round_id}/result"):                    PUBLIC,
    ("GET",    "/api/v1/rounds/{round_id}/ballots"):                   PUBLIC,
    ("GET",    "/api/v1/rounds/{round_id}/trackers"):                  PUBLIC,
    ("GET",    "/api/v1/rounds/{round_id}/receipts/{tracker}"):        PUBLIC,
    # ---- API: decision records -------------------------------------------------------------
    ("GET",    "/api/v1/rounds/{round_id}/bundle"):                    PUBLIC,
    ("GET",    "/api/v1/exports"):                                     STAFF,
    ("GET",    "/api/v1/rounds/{round_id}/exports/{fmt}"):             SECRETARIES,
    ("GET",    "/api/v1/processes/{process_id}/exports/{fmt}"):        SECRETARIES,
    ("POST",   "/api/v1/rounds/{round_id}/code-slips"):                FACILITATORS,
    # the result poster: public as the board is (published rounds only, checked inside)
    ("GET",    "/api/v1/rounds/{round_id}/poster"):                    PUBLIC,
    # ---- API: the loop: tasks, progress, feedback, close-out -------------------------------
    ("GET",    "/api/v1/processes/{process_id}/tasks"):                STAFF,
    ("POST",   "/api/v1/processes/{process_id}/tasks"):                SECRETARIES,
    ("GET",    "/api/v1/tasks/{task_id}"):                             STAFF,
    ("PATCH",  "/api/v1/tasks/{task_id}"):                             SECRETARIES,
    ("GET",    "/api/v1/tasks/overdue"):                               SECRETARIES,
    ("POST",   "/api/v1/tasks/{task_id}/notes"):                       SECRETARIES,
    ("POST",   "/api/v1/task-notes/{note_id}/photos"):                 SECRETARIES,
    ("GET",    "/api/v1/photos/{photo_id}"):                           PUBLIC,  # shown on the board
    ("GET",    "/api/v1/processes/{process_id}/feedback"):             STAFF,
    ("POST",   "/api/v1/processes/{process_id}/feedback"):             SECRETARIES,
    ("POST",   "/api/v1/processes/{process_id}/close-out"):            SECRETARIES,
    ("POST",   "/api/v1/processes/{process_id}/reopen"):               SECRETARIES,
    ("GET",    "/api/v1/processes/{process_id}/loop"):                 STAFF,
    ("GET",    "/api/v1/communities/{community_id}/board"):            PUBLIC,
    # residents' feedback from the board, moderated by the secretary (issue 15)
    ("GET",    "/api/v1/processes/{process_id}/resident-feedback"):    SECRETARIES,
    ("POST",   "/api/v1/resident-feedback/{feedback_id}/approve"):     SECRETARIES,
    ("POST",   "/api/v1/resident-feedback/{feedback_id}/reject"):      SECRETARIES,
    # ---- pages: the public board -----------------------------------------------------------
    ("GET",    "/"):                                                   PUBLIC,
    ("GET",    "/board"):                                              PUBLIC,
    ("GET",    "/board/communities/{community_id}"):                   PUBLIC,
    ("GET",    "/board/rounds/{round_id}"):                            PUBLIC,
    ("POST",   "/board/processes/{process_id}/feedback"):              PUBLIC,  # no account
    ("GET",    "/board/rounds/{round_id}/poster"):                     PUBLIC,  # the poster PDF
    # ---- pages: signing in and out, the facilitator's console ------------------------------
    ("GET",    "/console/login"):                                      PUBLIC,
    ("POST",   "/console/login"):                                      PUBLIC,
    ("POST",   "/console/logout"):                                     ACCOUNTS,
    ("GET",    "/console"):                                            FACILITATORS,
    ("POST",   "/console/processes"):                                  FACILITATORS,
    ("GET",    "/console/processes/{process_id}"):                     FACILITATORS,
    ("POST",   "/console/processes/{process_id}/proposals"):           FACILITATORS,
    ("POST",   "/console/processes/{process_id}/rounds"):              FACILITATORS,
    ("POST",   "/console/processes/{process_id}/decided"):             FACILITATORS,
    ("POST",   "/console/proposals/{proposal_id}/amend"):              FACILITATORS,
    ("POST",   "/console/proposals/{proposal_id}/merge"):              FACILITATORS,
    ("POST",   "/console/proposals/{proposal_id}/withdraw"):           FACILITATORS,
    # ---- pages: the meeting (a round's page) and the reveal on the TV ----------------------
    ("GET",    "/console/rounds/{round_id}"):                          FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/phase"):                    FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/tie"):                      FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/cancel"):                   FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/slate/tidy"):               FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/receipts"):                 FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/settings"):                 FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/comments"):                 FACILITATORS,
    ("POST",   "/console/comments/{comment_id}/hide"):                 FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/codes"):                    FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/codes/void"):               FACILITATORS,
    # voter-code slips: a batch's page and PDF (its unused codes made again), voiding by numbers
    ("GET",    "/console/rounds/{round_id}/slips/{batch}"):             FACILITATORS,
    ("GET",    "/console/rounds/{round_id}/slips/{batch}/pdf"):         FACILITATORS,
    # a reprint after the printing window: the numbers and a reason, audited and counted
    ("POST",   "/console/rounds/{round_id}/slips/{batch}/reprint"):     FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/slips/void"):               FACILITATORS,
    ("GET",    "/console/rounds/{round_id}/slips/voided"):             FACILITATORS,
    # paper ballots: printing (facilitators), keying (any staff), deciding (a third person)
    ("GET",    "/console/rounds/{round_id}/paper-ballots.pdf"):        FACILITATORS,
    ("GET",    "/console/rounds/{round_id}/paper"):                    STAFF,
    ("POST",   "/console/rounds/{round_id}/paper"):                    STAFF,
    ("GET",    "/console/rounds/{round_id}/paper/mismatches"):         ADJUDICATORS,
    ("POST",   "/console/rounds/{round_id}/paper/mismatches"):         ADJUDICATORS,
    ("GET",    "/console/rounds/{round_id}/turnout"):                  FACILITATORS,
    ("POST",   "/console/rounds/{round_id}/phone-window"):             FACILITATORS,
    ("GET",    "/console/rounds/{round_id}/reveal"):                   STAFF,
    # ---- pages: the ballot tablet (the tablet's enrolment is checked inside) ---------------
    ("GET",    "/kiosk"):                                              PUBLIC,
    ("POST",   "/kiosk/code"):                                         PUBLIC,
    ("POST",   "/kiosk/ballots"):                                      PUBLIC,
    ("POST",   "/kiosk/queued"):                                       PUBLIC,  # kept offline
    ("POST",   "/kiosk/words"):                                        PUBLIC,  # language switch
    ("POST",   "/kiosk/receipt"):                                      PUBLIC,  # receipt QR code
    ("GET",    "/kiosk/enrol"):                                        FACILITATORS,
    ("POST",   "/kiosk/enrol"):                                        FACILITATORS,
    ("GET",    "/vote/{round_id}"):                                    PUBLIC,  # the phone ballot
    ("POST",   "/vote/{round_id}/code"):                               PUBLIC,
    ("POST",   "/vote/{round_id}/ballots"):                            PUBLIC,  # a code is the key
    ("POST",   "/vote/{round_id}/words"):                              PUBLIC,
    ("POST",   "/vote/{round_id}/receipt"):                            PUBLIC,
    # ---- pages: the branch secretary's desk ------------------------------------------------
    ("GET",    "/secretary"):                                          SECRETARIES,
    ("GET",    "/secretary/processes/{process_id}"):                   SECRETARIES,
    ("POST",   "/secretary/processes/{process_id}/tasks"):             SECRETARIES,
    ("POST",   "/secretary/tasks/{task_id}"):                          SECRETARIES,
    ("POST",   "/secretary/tasks/{task_id}/notes"):                    SECRETARIES,
    ("POST",   "/secretary/processes/{process_id}/feedback"):          SECRETARIES,
    ("POST",   "/secretary/processes/{process_id}/close-out"):         SECRETARIES,
    ("POST",   "/secretary/processes/{process_id}/reopen"):            SECRETARIES,
    ("GET",    "/secretary/rounds/{round_id}/exports/{fmt}"):          SECRETARIES,
    ("GET",    "/secretary/processes/{process_id}/exports/{fmt}"):     SECRETARIES,
    ("POST",   "/secretary/rounds/{round_id}/code-slips"):             ADMIN,  # not the secretary
    ("POST",   "/secretary/resident-feedback/{feedback_id}/approve"):  SECRETARIES,
    ("POST",   "/secretary/resident-feedback/{feedback_id}/reject"):   SECRETARIES,
    ("POST",   "/console/communities/{community_id}/time-zone"):       ADMIN,
    # ---- quorum and assisted voting (issue 16): counts only, facilitators record ---------
    ("POST",   "/api/v1/rounds/{round_id}/assistance"):                FACILITATORS,
    ("GET",    "/api/v1/rounds/{round_id}/assistance"):                STAFF,
    ("POST",   "/console/rounds/{round_id}/assistance"):               FACILITATORS,
    # ---- issue 17 C: the red-bench team (staff read) and the figures (street and community) --
    ("GET",    "/api/v1/communities/{community_id}/team"):             STAFF,
    ("POST",   "/api/v1/communities/{community_id}/team"):             TEAM_KEEPERS,
    ("PATCH",  "/api/v1/team/{member_id}"):                            TEAM_KEEPERS,
    ("GET",    "/console/communities/{community_id}/team"):            STAFF,
    ("POST",   "/console/communities/{community_id}/team"):            TEAM_KEEPERS,
    ("POST",   "/console/team/{member_id}"):                           TEAM_KEEPERS,
    ("GET",    "/api/v1/streets/{street_id}/figures"):                 STREET,
    ("GET",    "/api/v1/streets/{street_id}/figures.xlsx"):            STREET,
    # a community's figures: its staff, the street staff of its street (checked by the guard)
    ("GET",    "/api/v1/communities/{community_id}/figures"):          ACCOUNTS,
    ("GET",    "/api/v1/communities/{community_id}/figures.xlsx"):     ACCOUNTS,
    ("GET",    "/street/{street_id}/dashboard"):                       STREET,
    # ---- meetings and site surveys (issue 17, part A) -------------------------------------
    ("POST",   "/api/v1/communities/{community_id}/meetings"):         FACILITATORS,
    ("GET",    "/api/v1/communities/{community_id}/meetings"):         STAFF,
    ("GET",    "/api/v1/meetings/{meeting_id}"):                       STAFF,
    ("PATCH",  "/api/v1/meetings/{meeting_id}"):                       FACILITATORS,
    ("POST",   "/api/v1/meetings/{meeting_id}/held"):                  FACILITATORS,
    ("POST",   "/api/v1/meetings/{meeting_id}/cancel"):                FACILITATORS,
    ("GET",    "/api/v1/meetings/{meeting_id}/items"):                 STAFF,
    ("POST",   "/api/v1/meetings/{meeting_id}/items"):                 FACILITATORS,
    ("PATCH",  "/api/v1/meetings/{meeting_id}/items/{item_id}"):       FACILITATORS,
    ("DELETE", "/api/v1/meetings/{meeting_id}/items/{item_id}"):       FACILITATORS,
    ("PUT",    "/api/v1/meetings/{meeting_id}/agenda"):                FACILITATORS,
    ("GET",    "/api/v1/meetings/{meeting_id}/attendance"):            STAFF,
    ("PUT",    "/api/v1/meetings/{meeting_id}/attendance"):            FACILITATORS,
    ("GET",    "/api/v1/meetings/{meeting_id}/minutes/draft"):         FACILITATORS,
    ("PUT",    "/api/v1/meetings/{meeting_id}/minutes"):               FACILITATORS,
    ("POST",   "/api/v1/meetings/{meeting_id}/photos"):                FACILITATORS,
    ("GET",    "/api/v1/meetings/{meeting_id}/photos"):                STAFF,
    ("GET",    "/api/v1/meetings/{meeting_id}/photos/{photo_id}"):     STAFF,
    ("GET",    "/api/v1/meetings/{meeting_id}/sign-in-sheet"):         STAFF,  # PDF
    ("GET",    "/api/v1/meetings/{meeting_id}/record"):                STAFF,  # PDF
    ("POST",   "/api/v1/processes/{process_id}/surveys"):              PROCESS_OWNERS,
    ("GET",    "/api/v1/processes/{process_id}/surveys"):              STAFF,
    ("POST",   "/api/v1/surveys/{survey_id}/photos"):                  PROCESS_OWNERS,
    ("GET",    "/api/v1/surveys/{survey_id}/photos/{photo_id}"):       STAFF,
    ("GET",    "/console/meetings"):                                   FACILITATORS,
    ("POST",   "/console/meetings/communities/{community_id}"):        FACILITATORS,
    ("GET",    "/console/meetings/{meeting_id}"):                      FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/items"):                FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/items/{item_id}"):      FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/items/{item_id}/remove"): FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/items/{item_id}/up"):   FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/attendance"):           FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/minutes"):              FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/photos"):               FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/held"):                 FACILITATORS,
    ("POST",   "/console/meetings/{meeting_id}/cancel"):               FACILITATORS,
    # ---- issue 17, part B: requests from the field, the street office, streets and branches
    # (the community logs and triages; street staff read a request once it was escalated)
    ("POST",   "/api/v1/requests/{request_id}/photos"):                REQUEST_TAKERS,
    ("GET",    "/api/v1/requests/{request_id}/photos/{photo_id}"):     ACCOUNTS,
    ("POST",   "/api/v1/requests/{request_id}/on-spot"):               REQUEST_TAKERS,
    ("POST",   "/api/v1/requests/{request_id}/to-meeting"):            REQUEST_TAKERS,
    ("POST",   "/api/v1/requests/{request_id}/escalate"):              REQUEST_TAKERS,
    ("POST",   "/api/v1/requests/{request_id}/close"):                 STAFF,
    ("POST",   "/api/v1/requests/{request_id}/reopen"):                STAFF,
    ("GET",    "/api/v1/streets/{street_id}/escalations"):             STREET,
    ("POST",   "/api/v1/requests/{request_id}/assign"):                STREET,
    ("POST",   "/api/v1/requests/{request_id}/answer"):                STREET,
    ("POST",   "/api/v1/requests/{request_id}/return"):                STREET,
    ("POST",   "/api/v1/streets"):                                     ADMIN,
    ("GET",    "/api/v1/streets"):                                     STREET,
    ("GET",    "/api/v1/streets/{street_id}"):                         STREET,
    ("PUT",    "/api/v1/communities/{community_id}/street"):           ADMIN,
    ("POST",   "/api/v1/communities/{community_id}/branches"):         ADMIN,
    ("GET",    "/api/v1/communities/{community_id}/branches"):         ACCOUNTS,
    ("PUT",    "/api/v1/grids/{grid_id}/branch"):                      ADMIN,
    ("GET",    "/console/requests"):                                   STAFF,
    ("POST",   "/console/requests"):                                   REQUEST_TAKERS,
    ("GET",    "/console/requests/new"):                               REQUEST_TAKERS,
    ("GET",    "/console/requests/{request_id}"):                      STAFF,
    ("POST",   "/console/requests/{request_id}/on-spot"):              REQUEST_TAKERS,
    ("POST",   "/console/requests/{request_id}/to-meeting"):           REQUEST_TAKERS,
    ("POST",   "/console/requests/{request_id}/escalate"):             REQUEST_TAKERS,
    ("POST",   "/console/requests/{request_id}/close"):                STAFF,
    ("POST",   "/console/requests/{request_id}/reopen"):               STAFF,
    ("GET",    "/street"):                                             STREET,
    ("GET",    "/street/requests/{request_id}"):                       STREET,
    ("POST",   "/street/requests/{request_id}/assign"):                STREET,
    ("POST",   "/street/requests/{request_id}/answer"):                STREET,
    ("POST",   "/street/requests/{request_id}/return"):                STREET,
}
# fmt: on
"""Who may call each endpoint. Not in the table: the OpenAPI documents under
``/api/v1/schema`` (public by the guard's own rule), the static files under ``/static``
(public), and the OPTIONS (and HEAD) handlers litestar adds to every route by itself."""

UNLISTED = ("/api/v1/schema", "/static/")
SIGNS_OUT = {("POST", "/api/v1/auth/logout"), ("POST", "/console/logout")}
"""Rows whose allowed callers revoke the token they use: they get a token of their own."""
SAMPLE = {"fmt": "json", "tracker": "0123456789abcdef"}
"""Path parameters other than ids (ids are 1)."""


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "1"), path)


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def may_call(declared: tuple[str, ...]) -> frozenset[str]:
    """The callers a handler's declared roles let in (``"public"``: anyone)."""
    return PUBLIC if DECLARED_PUBLIC in declared else frozenset(declared)


def app_endpoints(app: Litestar) -> dict[tuple[str, str], BaseRouteHandler]:
    """Every (method, path template) the app answers and its handler, leaving out the
    OpenAPI documents, the static files and litestar's own OPTIONS/HEAD handlers."""
    found: dict[tuple[str, str], BaseRouteHandler] = {}
    for route in app.routes:
        if route.path_format.startswith(UNLISTED):
            continue
        if isinstance(route, WebSocketRoute):
            found[WEBSOCKET, route.path_format] = route.route_handler
        elif isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    if method in ("HEAD", "OPTIONS") and handler.fn.__module__.startswith(
                        "litestar."
                    ):
                        continue
                    found[method, route.path_format] = handler
        else:  # an ASGI mount would escape both the table and the guard
            found["ASGI", route.path_format] = route.route_handler
    return found


@pytest.fixture(scope="module")
def endpoints() -> dict[tuple[str, str], BaseRouteHandler]:
    app = create_app(
        Settings(
            database_url="sqlite+aiosqlite:///:memory:",
            secret_key=SECRET,
            benchmark_endpoints=True,
        )
    )
    return app_endpoints(app)


def test_the_table_knows_every_role() -> None:
    assert frozenset(ROLES) == ACCOUNTS
    assert set(CALLERS) == PUBLIC


def test_the_table_covers_exactly_the_apps_endpoints(
    endpoints: dict[tuple[str, str], BaseRouteHandler],
) -> None:
    missing = sorted(set(endpoints) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(endpoints))
    assert not missing, f"endpoints without a row in ACCESS: {missing}"
    assert not stale, f"rows in ACCESS for no endpoint: {stale}"


@pytest.mark.parametrize("endpoint", sorted(ACCESS), ids=" ".join)
def test_each_handler_declares_the_roles_of_its_row(
    endpoints: dict[tuple[str, str], BaseRouteHandler], endpoint: tuple[str, str]
) -> None:
    handler = endpoints.get(endpoint)
    assert handler is not None, f"no endpoint {endpoint} for this row of ACCESS"
    declared = tuple(handler.opt.get("roles") or ())
    assert may_call(declared) == ACCESS[endpoint], (
        f"{handler.handler_name} declares roles {declared}; the table says "
        f"{sorted(ACCESS[endpoint])}"
    )


@dataclass
class Bench:
    """One app on one database with a staff member of each role, for every request."""

    client: AsyncTestClient[Any]
    db: AsyncSession
    headers: dict[str, dict[str, str]]
    csrf: str

    async def headers_of(self, caller: str, *, own_token: bool = False) -> dict[str, str]:
        if caller == ANONYMOUS:
            return {}
        if not own_token:
            return self.headers[caller]
        user_id = await self.db.scalar(select(User.id).where(User.username == f"{caller}-user"))
        assert user_id is not None
        token = secrets.token_hex(16)
        self.db.add(ApiToken(user_id=user_id, token_hash=token_hash(token), label="matrix"))
        await self.db.commit()
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def matrix_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """An empty migrated database for this module, as conftest's ``database_url`` gives."""
    return empty_database(backend, request, tmp_path_factory.mktemp("matrix"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bench(matrix_url: str) -> AsyncIterator[Bench]:
    engine = create_engine(matrix_url)
    app = create_app(Settings(database_url=matrix_url, secret_key=SECRET, benchmark_endpoints=True))
    async with sessionmaker(engine)() as db, AsyncTestClient(app=app) as client:
        cheap_hashing(app)
        headers = {role: await make_staff(db, role) for role in sorted(STAFF)}
        street = models.Street(name="矿山集街道")
        db.add(street)
        await db.flush()
        headers["street"] = await make_staff(db, "street", street_id=street.id)
        yield Bench(client, db, headers, await token_from(client, "/board"))
    await engine.dispose()


def http_rows() -> list[Any]:
    return [
        pytest.param(method, path, caller, allowed, id=f"{method} {path} as {caller}")
        for (method, path), allowed in ACCESS.items()
        if method != WEBSOCKET
        for caller in CALLERS
    ]


REFUSALS = ("not-signed-in", "forbidden")
"""The codes of the role guard's refusals (other 401s and 403s are the handlers' own)."""


def guard_refused(response: Any) -> bool:
    """Whether the answer is the role guard's refusal, in the API's or the pages' form."""
    if response.status_code == 303:
        return str(response.headers.get("location", "")).startswith(f"{LOGIN}?next=")
    if response.status_code not in (401, 403):
        return False
    if "json" in response.headers.get("content-type", ""):
        return response.json().get("code") in REFUSALS
    return any(f'data-code="{code}"' in response.text for code in REFUSALS)


@pytest.mark.backends("sqlite")  # the guard is the same on both: see the module's docstring
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "path", "caller", "allowed"), http_rows())
async def test_the_guard_answers_as_the_table_says(
    bench: Bench, method: str, path: str, caller: str, allowed: frozenset[str]
) -> None:
    url = concrete(path)
    own_token = (method, path) in SIGNS_OUT and caller in allowed
    headers = dict(await bench.headers_of(caller, own_token=own_token))
    if not is_api(path) and method != "GET":
        headers["x-csrftoken"] = bench.csrf  # the form token: CSRF is not what answers
    response = await bench.client.request(method, url, headers=headers, follow_redirects=False)
    said = f"{method} {url} as {caller}: {response.status_code} {response.text[:300]}"

    if caller not in allowed and is_api(path):
        expected = (401, "not-signed-in") if caller == ANONYMOUS else (403, "forbidden")
        assert (response.status_code, response.json().get("code")) == expected, said
    elif caller not in allowed and caller == ANONYMOUS:
        assert response.status_code == 303, said
        assert response.headers["location"] == f"{LOGIN}?next={quote(url)}", said
    elif caller not in allowed:
        assert response.status_code == 403, said
        assert 'data-code="forbidden"' in response.text, said
    else:
        assert not guard_refused(response), said

    wanted = API_HEADERS if is_api(path) else SECURITY_HEADERS
    for name, value in wanted.items():
        assert response.headers.get(name) == value, f"{said}: header {name}"


async def listen(bench: Bench, path: str, caller: str) -> None:
    """Open the live-events socket as ``caller`` and close it again."""
    headers = await bench.headers_of(caller)
    with await bench.client.websocket_connect(concrete(path), headers=headers):
        pass


@pytest.mark.backends("sqlite")
@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("caller", CALLERS)
async def test_live_events_as_the_table_says(bench: Bench, caller: str) -> None:
    path = "/api/v1/rounds/{round_id}/events"
    if caller in ACCESS[WEBSOCKET, path]:
        await listen(bench, path, caller)  # accepted
        return
    with pytest.raises(WebSocketDisconnect) as refused:
        await listen(bench, path, caller)
    # closed by the guard before it was accepted: 4000 + the HTTP status of the refusal
    assert refused.value.code == (4401 if caller == ANONYMOUS else 4403)
