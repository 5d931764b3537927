"""The job lifecycle: legal moves are recorded as events, illegal ones change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.errors import ConflictError, InvalidInputError
from dispatch.lifecycle import TRANSITIONS, transition
from dispatch.models import Job, JobEvent, JobStatus
from tests.persistence.factories import job

S = JobStatus
HAPPY_PATH = [S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE, S.COMPLETED]


def test_every_step_of_a_visit_is_an_event_with_who_and_when(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        j = job(s)
        for target in HAPPY_PATH:
            transition(s, j, target, actor="dispatcher:wu", note=f"to {target}")
    with sessions() as s:
        j = s.scalars(select(Job)).one()
        assert j.status is S.COMPLETED
        trail = [(e.from_status, e.to_status, e.actor) for e in j.events]
        assert trail[0] == (None, S.NEW, "agent:zhang")
        assert [t for _, t, _ in trail[1:]] == HAPPY_PATH
        assert all(e.at.tzinfo is not None for e in j.events)
        assert [f for f, _, _ in trail[1:]] == [S.NEW, *HAPPY_PATH[:-1]]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.ON_SITE),  # nobody is on site for an unplanned job
        ([S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE, S.COMPLETED], S.NEW),  # completed is final
        ([S.CANCELLED], S.SCHEDULED),
        ([S.SCHEDULED], S.COMPLETED),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    sessions: sessionmaker[Session], path: list[JobStatus], illegal: JobStatus
) -> None:
    with sessions.begin() as s:
        j = job(s)
        for target in path:
            transition(s, j, target, actor="dispatcher:wu")
    before = len(path) + 1
    with pytest.raises(ConflictError, match=f"cannot go from .* to {illegal}") as err, sessions.begin() as s:
        transition(s, s.scalars(select(Job)).one(), illegal, actor="dispatcher:wu")
    assert err.value.field == "status"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(JobEvent)) == before
        assert s.scalars(select(Job)).one().status is (path[-1] if path else S.NEW)


def test_incomplete_needs_a_known_reason(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        j = job(s)
        for target in [S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE]:
            transition(s, j, target, actor="engineer:E1")
    with pytest.raises(InvalidInputError, match="reason"), sessions.begin() as s:
        transition(s, s.scalars(select(Job)).one(), S.INCOMPLETE, actor="engineer:E1", reason="tired")
    with sessions.begin() as s:
        j = s.scalars(select(Job)).one()
        transition(s, j, S.INCOMPLETE, actor="engineer:E1", reason="needs_part", note="compressor seized")
        transition(s, j, S.NEW, actor="dispatcher:wu", note="follow-up visit")
    with sessions() as s:
        j = s.scalars(select(Job)).one()
        assert (j.status, j.incomplete_reason, j.engineer_id) == (S.NEW, "needs_part", None)


def test_the_table_covers_every_status_and_final_states_are_final() -> None:
    assert set(TRANSITIONS) == set(JobStatus)
    assert not TRANSITIONS[S.COMPLETED] and not TRANSITIONS[S.CANCELLED]
    assert all(S.NEW not in TRANSITIONS[s] for s in (S.EN_ROUTE, S.ON_SITE))
