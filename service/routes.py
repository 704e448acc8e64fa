"""Every controller of the API, in one list for :func:`service.app.create_app`."""

from __future__ import annotations

from service.accounts.controllers import AccountController, UserController
from service.comments.controllers import CommentController
from service.communities.controllers import CommunityController
from service.figures.controllers import FiguresController
from service.households.controllers import RollController
from service.loop.controllers import LoopController
from service.meetings.controllers import AgendaController, MeetingController
from service.meetings.printing import MeetingPapersController
from service.paper.controllers import PaperController
from service.processes.controllers import ProcessController
from service.proposals.controllers import ProposalController
from service.records.controllers import RecordController
from service.requests.controllers import RequestController, StreetDeskController
from service.results.controllers import ResultController
from service.rounds.controllers import RoundController
from service.streets.controllers import StreetController
from service.surveys.controllers import SurveyController
from service.team.controllers import TeamController
from service.voting.controllers import VotingController
from service.voting.phone_controllers import PhoneWindowController
from service.voting.proxy_controllers import ProxyController

ROUTES = [
    AccountController,
    UserController,
    CommunityController,
    ProcessController,
    RequestController,
    StreetDeskController,
    StreetController,
    ProposalController,
    RoundController,
    CommentController,
    VotingController,
    PhoneWindowController,
    PaperController,
    ResultController,
    RecordController,
    LoopController,
    RollController,
    ProxyController,
    TeamController,
    FiguresController,
    MeetingController,
    AgendaController,
    MeetingPapersController,
    SurveyController,
]
