"""Organisations, groups of organisations and clusters."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class OrgKind(StrEnum):
    AGENCY = "agency"
    CLUSTER_MANAGEMENT = "cluster_management"
    CLUSTER_INITIATIVE = "cluster_initiative"
    CHAMBER = "chamber"
    EXPORTERS_UNION = "exporters_union"
    UNIVERSITY = "university"
    BUSINESS_ASSOCIATION = "business_association"
    COMMITTEE = "committee"
    GROUP = "group"
    PUBLIC_BODY = "public_body"
    INDUSTRIAL_ZONE = "industrial_zone"
    FREE_ZONE = "free_zone"
    FOUNDATION = "foundation"
    SUPPORT_CENTRE = "support_centre"
    COMPANY = "company"
    OTHER = "other"


class Cluster(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    position: int = 0


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    short: str = Field(max_length=120, unique=True)
    # Casefolded, dotless-insensitive form of `short` so "izka", "IZKA" and "İZKA" find one body.
    short_key: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=300)
    kind: OrgKind = Field(sa_type=sa.String(32))
    note: str | None = Field(default=None, max_length=1000)
    # Set for a cluster's management body: it reports that cluster's level-1 indicators.
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    position: int = 0


class OrganisationMember(SQLModel, table=True):
    """A member of a group ("Küme Yönetimleri") or of the committee."""

    __tablename__ = "organisation_member"

    group_id: int = Field(foreign_key="organisation.id", primary_key=True)
    member_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    position: int = 0
