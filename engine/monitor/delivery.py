"""What the engine says, to each client, without ever waiting for one (issue #26): a client is
a non-blocking peer (peer.py) whose unsent bytes the engine bounds. One that has not taken what
it was sent (a stopped terminal, a slow link) is sent no readings or output until it has, then
told what it missed (`gap`), which its engine client reads from the run file; one far behind on
the rest (stages, ends) is let go, and the runs go on, recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .. import messages
from ..messages import Message
from ..text import shown
from .peer import Peer

# A client with this much not yet taken is behind: sent no readings or output until it catches
# up; with this much of the rest (stages, ends) it is let go (the runs go on, recorded).
BEHIND_BYTES = 1 << 20
DROP_BYTES = 64 << 20


@dataclass(eq=False)
class Client:
    peer: Peer
    owner: bool = False  # its going stops the runs (it started them and did not detach)
    live: bool = False  # it is sent every message
    every_s: float = 0.0  # readings at most this often (`pace`); 0: every turn
    held: list[Message] = field(default_factory=list)  # readings kept for the next send
    sent_at: float = 0.0
    # Falling behind: what it was not sent, by run (first and last time), told by a `gap`.
    skipped: dict[str, list[float]] = field(default_factory=dict)


def deliver(client: Client, out: list[Message],
            commit: Callable[[Iterable[str]], None]) -> bool:
    """`out` to one client; False where it is too far behind and must be let go. `commit`
    writes the named runs' readings to their files before a `gap` sends the client there."""
    peer = client.peer
    if peer.pending > BEHIND_BYTES or client.skipped:
        out = _skip(client, out)
        if client.skipped and not peer.pending:
            commit(client.skipped)
            for run_id, (t0, t1) in client.skipped.items():
                send_to(client, messages.encode(messages.gap(run_id, t0, t1)))
            client.skipped = {}
    if peer.pending > DROP_BYTES:
        return False
    if out:
        send_to(client, messages.encode(out[0] if len(out) == 1 else messages.batch(out)))
    return True


def _skip(client: Client, out: list[Message]) -> list[Message]:
    kept = []
    for message in out:
        if message["type"] not in messages.SKIPPABLE_KINDS:
            kept.append(message)
            continue
        times = message["t"] if isinstance(message["t"], list) else [message["t"]]
        if times:
            span = client.skipped.setdefault(message["run"], [times[0], times[-1]])
            span[0], span[1] = min(span[0], times[0]), max(span[1], times[-1])
    return kept


def send_to(client: Client, data: bytes) -> None:
    # Queued, never waited for; a client that went is handled at its end of file (what it said
    # before going, `detach`, is still to be read). The run files stay complete.
    client.peer.send(data)
    if client.peer.eof:
        client.live = False


def refuse(client: Client, request: str, problem: str) -> None:
    send_to(client, messages.encode(messages.refused(request, shown(problem, 500))))
