"""Workflows declared once: each transition names the states it starts from, the state it leads to, who may
take it and what it is called. Services check through the declaration; pages and the API ask it which
actions a person may take now. The side effects (events, audit, notices) stay in the services.

Domain apps declare their workflows (problems/workflow.py, investment/workflow.py); the predicates that say
who may act live there too, so this module knows no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from keyprojects.core.concurrency import already_changed
from keyprojects.core.errors import Conflict, NotAllowed


class SystemActor:
    """The system itself (the daily tick, the demo loader, imports): named on purpose, allowed every
    transition. It is no user: the audit log and timelines record it without a person (actor NULL)."""

    pk = None
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return str(_("the system"))


SYSTEM = SystemActor()


def require_actor(actor: Any) -> None:
    """Refuse a missing actor: every write names who acts, a user or SYSTEM. Passing None is a programming
    error (it once meant "the system, allowed everything"), so it fails loudly instead of being refused."""
    if actor is None:
        raise TypeError("Name who acts: a user, or SYSTEM for the system itself.")


def person(actor: Any) -> Any:
    """The user to store as who acted (foreign keys, audit, history): None for the system."""
    require_actor(actor)
    return None if actor is SYSTEM else actor


Predicate = Callable[[Any, Any], bool]  # (actor, object) → may this actor take the transition on it


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    may: Predicate
    refused: str  # (lazy) the refusal when the actor may not take it: "Only … can …"
    label: str  # (lazy) what the button says


class Workflow:
    def __init__(self, *transitions: Transition, wrong_status: str, field: str = "status") -> None:
        self.transitions = {t.name: t for t in transitions}
        self.wrong_status = (
            wrong_status  # (lazy) with %(status)s: the refusal in a state it does not start from
        )
        self.field = field

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __iter__(self):
        return iter(self.transitions.values())

    @property
    def states(self) -> list[str]:
        """Every state a transition starts from or leads to, in declaration order."""
        seen: dict[str, None] = {}
        for t in self:
            seen.update(dict.fromkeys((*t.sources, t.target)))
        return list(seen)

    def _status(self, obj: Any) -> str:
        return getattr(obj, self.field)

    def may(self, transition: Transition, actor: Any, obj: Any) -> bool:
        require_actor(actor)
        return actor is SYSTEM or transition.may(actor, obj)

    def allowed(self, actor: Any, obj: Any) -> list[Transition]:
        """The transitions this actor may take on the object now, in declaration order."""
        require_actor(actor)
        status = self._status(obj)
        return [t for t in self if status in t.sources and self.may(t, actor, obj)]

    def names(self, actor: Any, obj: Any) -> set[str]:
        return {t.name for t in self.allowed(actor, obj)}

    def check(self, name: str, actor: Any, obj: Any, *, seen_status: str | None = None) -> Transition:
        """Refuse unless the actor may take `name` on the object as it is stored now (the caller has locked
        and reloaded it). Who may comes first; then the state: if it moved since the caller read it
        (`seen_status`), the refusal says who changed it and when."""
        require_actor(actor)
        transition = self[name]
        if not self.may(transition, actor, obj):
            raise NotAllowed(str(transition.refused))
        status = self._status(obj)
        if status not in transition.sources:
            shown = getattr(obj, f"get_{self.field}_display")()
            if seen_status is not None and status != seen_status:
                raise already_changed(obj, status=shown)
            raise Conflict(str(self.wrong_status) % {"status": shown})  # the API answers 409
        return transition
