"""The bot keeps serving when PostgreSQL restarts under it: the update waits, then goes through; nothing lost."""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time

import pytest

from bot.bootstrap import App, conversation_service
from bot.conversation import ButtonPressed, Command, Step

RESTART = os.environ.get("PG_RESTART_COMMAND")  # .ci/run: "pg_ctlcluster 15 main restart"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # only a server can be restarted
@pytest.mark.skipif(not RESTART, reason="set PG_RESTART_COMMAND to restart PostgreSQL during the test (.ci/run does)")
def test_a_postgres_restart_in_the_middle_of_a_conversation_loses_nothing(app: App):
    service = conversation_service(app)
    for event in (Command("start", user_language="de"), ButtonPressed("lang:de"), ButtonPressed("consent:yes")):
        service.handle("telegram:66", event)
    restart = threading.Thread(target=subprocess.run, args=(shlex.split(RESTART),), kwargs={"check": True})
    restart.start()
    time.sleep(0.2)  # the server is going down right now
    service.handle("telegram:66", ButtonPressed("age:3"))
    restart.join()
    service.handle("telegram:66", ButtonPressed("net:weimar"))
    state = service.state_of("telegram:66")
    assert (state.age_months, state.network_id, state.step) == (36, "weimar", Step.ASKING_DISTRICT)
