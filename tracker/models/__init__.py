"""All tables of kume; importing this package registers them on SQLModel.metadata."""
# ruff: noqa: E402  (the naming convention must be set before the tables are declared)

from sqlmodel import SQLModel

# Named constraints let later migrations alter them on PostgreSQL and in SQLite batch mode.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from tracker.models.bulletins import (
    Bulletin,
    BulletinItem,
    BulletinStatus,
    MailMessage,
    MailStatus,
    Subscriber,
    SubscriberCluster,
)
from tracker.models.dialogs import Dialog, DialogStatus
from tracker.models.events import Event, EventAudience, EventStatus, Rsvp, RsvpAnswer
from tracker.models.members import ClusterChat, ClusterFollow
from tracker.models.organisations import Cluster, Organisation, OrganisationMember, OrgKind
from tracker.models.outbox import (
    Broadcast,
    DueEvent,
    Notification,
    NotificationStatus,
    QuarterReopening,
)
from tracker.models.people import Invite, Person, Role
from tracker.models.plan import (
    Action,
    ActionQuarter,
    ActionResponsible,
    Goal,
    Indicator,
    IndicatorType,
    Plan,
    Priority,
    ScorecardAdvice,
    ScorecardEntry,
)
from tracker.models.reporting import IndicatorValue, Status, StatusUpdate

__all__ = [
    "Action",
    "ActionQuarter",
    "ActionResponsible",
    "Broadcast",
    "Bulletin",
    "BulletinItem",
    "BulletinStatus",
    "Cluster",
    "ClusterChat",
    "ClusterFollow",
    "Event",
    "EventAudience",
    "EventStatus",
    "MailMessage",
    "MailStatus",
    "Rsvp",
    "RsvpAnswer",
    "Subscriber",
    "SubscriberCluster",
    "Dialog",
    "DueEvent",
    "DialogStatus",
    "Goal",
    "Indicator",
    "IndicatorType",
    "IndicatorValue",
    "Invite",
    "Notification",
    "NotificationStatus",
    "OrgKind",
    "Organisation",
    "OrganisationMember",
    "Person",
    "Plan",
    "Priority",
    "QuarterReopening",
    "Role",
    "ScorecardAdvice",
    "ScorecardEntry",
    "Status",
    "StatusUpdate",
]
