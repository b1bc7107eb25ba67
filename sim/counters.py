"""The event counters of a run, grouped by what they count: one block per channel or concern.

The event loop adds to a flat list indexed by ``segment * N_COUNTERS + offset``
(cheap in the hot path); the offsets come from named blocks here, never from
hand-numbered constants. A block's counters are read as attributes
(``PHONE.offered``) and named ``"<block>.<counter>"`` (``"phone.offered"``)
in :meth:`sim.metrics.Metrics.counter` and the metric table. A new channel adds
a block; nothing else renumbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from .units import REASONS

__all__ = [
    "Block",
    "BLOCKS",
    "COUNTERS",
    "N_COUNTERS",
    "CONTACTS",
    "PHONE",
    "CALLBACK",
    "SELF_SERVICE",
    "PROMISES",
    "ISSUES",
    "WORK",
    "CUSTOMERS",
    "counter_index",
]


class Block:
    """Consecutive counters of one concern; each name is an attribute holding its offset."""

    def __init__(self, name: str, fields: Sequence[str], offset: int, doc: dict[str, str] | None = None):
        self.name = name
        self.fields = tuple(fields)
        self.offset = offset
        self.doc = dict(doc or {})
        for i, field in enumerate(self.fields):
            setattr(self, field, offset + i)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Block({self.name!r}, {self.fields})"


_SPECS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("contacts", tuple((r, f"customer contacts with reason {r}, any channel") for r in REASONS)),
    (
        "phone",
        (
            ("calls", "phone contacts: the customer dialled (first, repeat, redial, chase)"),
            ("offered", "inbound call legs offered to a queue (a transfer is a leg too)"),
            ("answered", "call legs an agent answered"),
            ("within_target", "call legs answered within the service-level target"),
            ("waited", "call legs answered after waiting at all"),
            ("wait_minutes", "minutes answered call legs waited"),
            ("abandoned", "call legs abandoned in the queue"),
            ("abandoned_wait_minutes", "minutes callers waited before hanging up"),
            ("transfers", "transfers between departments"),
            (
                "skill_mismatch_transfers",
                "transfers because no skill group held every skill the issue needed",
            ),
        ),
    ),
    ("callback", (("made", "promised call-backs an agent made (promise kept)"),)),
    ("self_service", (("sessions", "contacts on the self-service channel"),)),
    (
        "promises",
        (
            ("made", "call-back promises made"),
            ("broken", "promises forgotten, or not called back before the deadline"),
        ),
    ),
    (
        "issues",
        (
            ("arisen", "issues created (by creation day)"),
            ("fcr", "of those, resolved at their first contact (by creation day)"),
            ("resolved", "issues resolved (by finishing day)"),
            ("given_up", "issues given up (by finishing day), incl. issues of customers who left"),
            ("judged", "finished issues the customer judged (still a customer)"),
            ("effort_sum", "sum of the effort of judged issues"),
            ("experience_sum", "sum of the experience q of judged issues"),
        ),
    ),
    (
        "work",
        (
            ("front_minutes", "agent minutes of front-line work (calls and call-backs)"),
            ("account_manager_minutes", "agent minutes of account managers' work"),
        ),
    ),
    (
        "customers",
        (
            ("churned", "voluntary departures (hazard, or exit after an unresolved issue)"),
            ("exits_after_unresolved", "of those, exits right after giving up on an issue"),
            ("pruned", "customers let go by the supplier"),
            ("acquired", "new customers"),
            ("products_dropped", "single products dropped by customers who stay"),
        ),
    ),
)


def _layout() -> tuple[Block, ...]:
    blocks, offset = [], 0
    for name, fields in _SPECS:
        block = Block(name, [f for f, _ in fields], offset, dict(fields))
        blocks.append(block)
        offset += len(block)
    return tuple(blocks)


BLOCKS: tuple[Block, ...] = _layout()
CONTACTS, PHONE, CALLBACK, SELF_SERVICE, PROMISES, ISSUES, WORK, CUSTOMERS = BLOCKS
#: Every counter's name, ``"<block>.<counter>"``, in offset order.
COUNTERS: tuple[str, ...] = tuple(f"{b.name}.{f}" for b in BLOCKS for f in b.fields)
N_COUNTERS = len(COUNTERS)
_INDEX = {name: i for i, name in enumerate(COUNTERS)}


def counter_index(name: str) -> int:
    """The offset of ``"<block>.<counter>"``."""
    try:
        return _INDEX[name]
    except KeyError:
        raise KeyError(f"unknown counter {name!r}") from None
