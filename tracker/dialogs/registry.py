"""Which engine drives the dialogs of each kind.

The bot imports this; engines never do (they import only base, service and the domain), so
adding a dialog is one module and one line here.
"""

from __future__ import annotations

from tracker.dialogs.announce import AnnounceDialog
from tracker.dialogs.base import Engine
from tracker.dialogs.bulletin import BulletinDialog
from tracker.dialogs.event import EventDialog
from tracker.dialogs.event_manage import EventCancelDialog, EventChangeDialog, EventRejectDialog
from tracker.dialogs.figures import FiguresDialog
from tracker.dialogs.firm import FirmDialog
from tracker.dialogs.head_count import HeadCountDialog
from tracker.dialogs.status import StatusDialog

ENGINES: dict[str, Engine] = {
    engine.kind: engine for engine in (StatusDialog(), FiguresDialog(), FirmDialog())
}
ENGINES.update({engine.kind: engine for engine in (
    EventDialog(), EventChangeDialog(), EventCancelDialog(), EventRejectDialog())})
ENGINES["notice"] = AnnounceDialog()
ENGINES[BulletinDialog.kind] = BulletinDialog()
ENGINES[HeadCountDialog.kind] = HeadCountDialog()


def engine(kind: str) -> Engine:
    """The engine of `kind`; KeyError for a kind kume does not have."""
    return ENGINES[kind]
