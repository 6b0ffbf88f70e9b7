"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from complaintdesk.complaints.schemas import Strict


class TokenIn(Strict):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    level: str
    kind: str
    category: str | None
    parent_id: int | None
    path: str


class ActorOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    unit_id: int


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: ActorOut
