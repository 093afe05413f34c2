"""Awareness events (action E3.1.4): announced by a secretary, answered by members.

    dates.py     Turkish date and time as typed ("12 Mayıs 14:00", "yarın 10:00"), Istanbul
    view.py      EventView: what a message shows, the same for a draft and a stored event
    publish.py   create_event, approval (approve/reject), announce (one broadcast), who may
                 manage an event, who was told
    rsvp.py      yes/no, the waiting list and its promotion, the audience check
    changes.py   change of time or place (revision), cancellation: each told once
    ics.py       the calendar file (icalendar)
    figures.py   EventFigures: told, yes, no, waiting (attended, satisfaction: check-in's)
    listing.py   /etkinlikler: upcoming and past, with figures

Outbox rows (kind | subject | period | person), rules in tracker.notifications.rules:
    event_notice   | event:<id> | notice        the announcement (a broadcast)
    event_change   | event:<id> | r<revision>   time or place changed (a broadcast)
    event_cancel   | event:<id> | cancel        (a broadcast)
    event_promoted | event:<id> | w<epoch>      off the waiting list (the stint's start)
    event_approval | event:<id> | approval      the preview to each agency person
    event_decision | event:<id> | approved|rejected   to the secretary who created it
"""
