"""Figures kume can propose for an indicator from what it records itself (member counts, the
satisfaction answers after events): shown with their origin in /gosterge, used only when the person
taps "Öneriyi kullan" and confirms. Never written on their own.

A proposer is registered by indicator code (the bundled plan's codes) and answers for one
cluster and period, or None when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from tracker import texts
from tracker.events.satisfaction import satisfaction_by_cluster
from tracker.member_counts import MemberCount, member_counts
from tracker.models import Cluster
from tracker.quarters import Quarter

WORDS = "texts/proposals.j2"


@dataclass(frozen=True)
class Proposal:
    value: Decimal
    origin: str  # a macro of templates/texts/proposals.j2 saying where the value comes from
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """E.g. "kume üye kayıtları: 42 üye"."""
        return texts.say(WORDS, self.origin, **self.params)


Proposer = Callable[[Session, Cluster, Quarter], Proposal | None]


def _count(session: Session, cluster: Cluster, period: Quarter) -> MemberCount | None:
    """The cluster's member count, or None while kume has no member records for it (a 0
    proposed from no records at all would only mislead)."""
    assert cluster.id is not None
    (count,) = member_counts(session, period.start, period.end, [cluster.id])
    if not (count.active or count.active_before or count.joined or count.left):
        return None
    return count


def _members(session: Session, cluster: Cluster, period: Quarter) -> Proposal | None:
    count = _count(session, cluster, period)
    if count is None:
        return None
    return Proposal(Decimal(count.active), "members", {"count": count.active})


def _member_change(session: Session, cluster: Cluster, period: Quarter) -> Proposal | None:
    count = _count(session, cluster, period)
    if count is None:
        return None
    return Proposal(Decimal(count.change), "member_change",
                    {"before": count.active_before, "after": count.active,
                     "joined": count.joined, "left": count.left})


def _satisfaction(session: Session, cluster: Cluster, period: Quarter) -> Proposal | None:
    """The mean of the members' 1-5 answers after the cluster's events in the period."""
    average = satisfaction_by_cluster(session, period).get(cluster.code)
    if average is None or average.mean is None:
        return None
    return Proposal(Decimal(str(average.mean)), "satisfaction",
                    {"mean": Decimal(str(average.mean)), "answers": average.answers})


# Indicator code -> proposer. G01 "Paydaş sayısı", G22 "Küme paydaş sayısındaki artış/azalış",
# G12 "Kümelenmeyle ilgili memnuniyet düzeyi".
PROPOSERS: dict[str, Proposer] = {
    "G01": _members,
    "G22": _member_change,
    "G12": _satisfaction,
}


def propose(
    session: Session, indicator_code: str, cluster: Cluster, period: Quarter
) -> Proposal | None:
    proposer = PROPOSERS.get(indicator_code)
    return proposer(session, cluster, period) if proposer is not None else None
