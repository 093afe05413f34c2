"""Who hears a cluster's notices: followers now, reachable members only, each once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from tracker.audience import follow, followed_clusters, members_of, unfollow
from tracker.db import session_scope
from tracker.models import Cluster, Person, Role
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 2, 10, 0, tzinfo=ISTANBUL)


def _member(session, user_id: int, **fields) -> int:
    values = {"consent_at": NOW, **fields}
    person = Person(telegram_user_id=user_id, display_name=f"Üye {user_id}", role=Role.MEMBER,
                    **values)
    session.add(person)
    session.flush()
    assert person.id is not None
    return person.id


def test_only_reachable_followers_hear_a_cluster(engine):
    with session_scope(engine) as session:
        first, second = [c.id for c in session.exec(select(Cluster).limit(2))]
        follower = _member(session, 1)
        both = _member(session, 2)
        stopped = _member(session, 3, stopped_at=NOW)
        no_consent = _member(session, 4, consent_at=None)
        left = _member(session, 5)
        other_cluster = _member(session, 6)
        for person in (follower, both, stopped, no_consent, left):
            assert follow(session, person, first, NOW)
        assert follow(session, both, second, NOW)
        assert follow(session, other_cluster, second, NOW)
        assert not follow(session, follower, first, NOW)  # already following
        assert unfollow(session, left, first, NOW)
        assert not unfollow(session, left, first, NOW)
        heard = [p.id for p in members_of(session, [first])]
        heard_both = [p.id for p in members_of(session, [first, second])]
        everyone = [p.id for p in members_of(session, None)]
        assert followed_clusters(session, both) == sorted([first, second])
    assert heard == [follower, both]
    assert heard_both == [follower, both, other_cluster]
    assert everyone == [follower, both, left, other_cluster]
