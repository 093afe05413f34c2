"""The bundled plan says what the source document says, and nothing it does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tracker.models import Cluster, Indicator, Organisation, ScorecardAdvice, ScorecardEntry
from tracker.plans import plan_tree, resolve_plan
from tracker.quarters import Quarter

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_5e71ba25835e328a.txt"

# Tablo 14 (paired in order with E1.1.1-E1.2.4), Tablo 15 (none) and Tablo 16.
RESPONSIBLE = {
    "E1.1.1": ["İZKA", "Küme Yönetimleri"],
    "E1.1.2": ["Kümelenme Komitesi", "İZKA", "Küme Yönetimleri"],
    "E1.1.3": ["İZKA", "Küme Yönetimleri"],
    "E1.2.1": ["Küme Yönetimleri"],
    "E1.2.2": ["İZKA", "Küme Yönetimleri"],
    "E1.2.3": ["Küme Yönetimleri", "İZKA", "EBSO", "İZTO", "EİB"],
    "E1.2.4": ["İZKA", "EÜ İİBF", "Küme Yönetimleri"],
    "E2.1.1": [],
    "E2.1.2": [],
    "E2.1.3": [],
    "E2.2.1": [],
    "E2.2.2": [],
    "E2.2.3": [],
    "E3.1.1": ["Kümelenme Komitesi", "İZKA", "EBSO", "İZTO", "EİB", "Küme Yönetimleri"],
    "E3.1.2": ["EBSO", "İZTO", "EİB", "ESİAD", "EGİAD"],
    "E3.1.3": ["İZKA", "Kümelenme Komitesi", "Küme Yönetimleri"],
    "E3.1.4": ["İZKA", "Kümelenme Komitesi", "Küme Yönetimleri"],
    "E3.1.5": ["EBSO", "İZTO", "EİB", "Küme Yönetimleri"],
    "E3.1.6": ["İZKA", "EÜ İİBF"],
    "E3.2.1": ["İZKA", "Üniversiteler", "Küme Yönetimleri"],
    "E3.2.2": ["Üniversiteler", "Küme Yönetimleri"],
    "E3.2.3": ["İZKA", "Üniversiteler", "Küme Yönetimleri"],
    "E3.2.4": ["İZKA", "Küme Yönetimleri"],
    "E3.3.1": ["İZKA", "Üniversiteler", "Küme Yönetimleri"],
    "E3.3.2": ["İZKA", "Küme Yönetimleri"],
    "E3.3.3": ["İZKA", "Küme Yönetimleri"],
}
LEVEL_2 = {
    "Kümelenmeyle ilgili memnuniyet düzeyi – her paydaş için",
    "Kümelenmenin tanınırlığı, bilinirliği",
    "Yeni şirket oluşumu sayısı",
    "Firmaların güvenilirlikleri",
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def source() -> str:
    if not SOURCE.exists():
        pytest.skip("shared/seeds is not beside the checkout")
    return _squash(SOURCE.read_text(encoding="utf-8"))


def test_counts_and_titles_match_the_source(engine, source):
    with Session(engine) as session:
        tree = plan_tree(session, resolve_plan(session))
    assert tree.plan.title == "İzmir Kümelenme Stratejisi 2013-2018"
    assert (tree.plan.start, tree.plan.end) == ("2013Q1", "2018Q4")
    assert [p.code for p in tree.priorities] == ["Ö1", "Ö2", "Ö3"]
    assert [len(p.goals) for p in tree.priorities] == [2, 2, 3]
    assert len(tree.actions) == 26
    assert [len(g.actions) for g in tree.goals] == [3, 4, 3, 3, 6, 4, 3]
    for priority in tree.priorities:
        assert priority.title.casefold() in source.casefold()
    for goal in tree.goals:
        spaced = goal.code.replace("H", "H ")
        assert f"{spaced}: {goal.title}" in source, goal.code
    for action in tree.actions:
        spaced = action.code.replace("E", "E ")
        assert f"{spaced}: {action.title}" in source, action.code


def test_responsible_bodies_follow_tables_14_to_16(engine):
    with Session(engine) as session:
        tree = plan_tree(session, resolve_plan(session))
    assert {a.code: [r.short for r in a.responsible] for a in tree.actions} == RESPONSIBLE


def test_unknowns_are_marked_not_invented(engine):
    with Session(engine) as session:
        tree = plan_tree(session, resolve_plan(session))
        indicators = session.exec(select(Indicator)).all()
    every_quarter = Quarter.range(Quarter(2013, 1), Quarter(2018, 4))
    for action in tree.actions:
        assert action.schedule_is_default
        assert action.quarters == every_quarter
    assert all(i.measure_is_assumed for i in indicators)


def test_indicators_are_the_26_of_ek_1_with_their_levels(engine, source):
    with Session(engine) as session:
        indicators = session.exec(select(Indicator).order_by(Indicator.position)).all()
    assert len(indicators) == 26
    ek1 = source[source.index("EK 1: GÖSTERGE SETİ") :]
    positions = [ek1.index(i.title) for i in indicators]
    assert positions == sorted(positions), "indicators keep the source's order"
    assert {i.title for i in indicators if i.level == 2} == LEVEL_2
    assert sum(i.level == 1 for i in indicators) == 22


def test_clusters_scorecard_and_committee(engine, source):
    with Session(engine) as session:
        clusters = session.exec(select(Cluster).order_by(Cluster.position)).all()
        scorecard = session.exec(select(ScorecardEntry).order_by(ScorecardEntry.position)).all()
        advice = session.exec(select(ScorecardAdvice)).all()
        orgs = {o.short: o for o in session.exec(select(Organisation))}
    assert len(clusters) == 6
    for cluster in clusters:
        assert cluster.name in source
    assert [(s.index_value, s.category) for s in scorecard] == [
        (97, 1),
        (83, 2),
        (73, 2),
        (60, 2),
        (50, 3),
        (47, 3),
    ]
    assert sum(a.category is None for a in advice) == 1
    for short in ("İZKA", "EBSO", "İZTO", "EİB", "EGİAD", "ESİAD", "Kümelenme Komitesi"):
        assert short in orgs
    for org in orgs.values():
        if org.name != org.short and org.kind not in ("cluster_management", "group"):
            assert org.name.casefold() in source.casefold() or org.short == "EÜ İİBF", org.short
