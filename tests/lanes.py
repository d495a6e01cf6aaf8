"""What each test needs, found from its code: the lanes of the suite (issue #28, 5).

`make test-fast` runs the tests that need none of these (unit, Pilot and in-process CLI tests);
`make test` runs everything. A test needs what its own code, the module helpers it calls (and
the helpers they call, HELPER_DEPTH deep) and the fixtures it asks for use:
- `processes`: other processes: a memtop command, an engine, a session, a pseudo-terminal;
- `tmux`: a real terminal multiplexer;
- `cluster`: a Ray cluster;
- `backend` (declared by the tests themselves): a real Keras backend session.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

NEEDS: dict[str, re.Pattern[str]] = {
    "processes": re.compile(
        r"\b(run_memtop|EngineClient|subprocess|Popen|in_terminal|run_in_terminal|"
        r"detached_engine|run_session|LiveSource|FitSource|FollowSource|os\.fork|"
        r"multiprocessing|run_through|run_headless|start_process|waiting_specs|"
        r"runpytest_subprocess)\b"),
    "tmux": re.compile(r"\b(Tmux|tmux)\b"),
    "cluster": re.compile(r"\bray\b"),
}
LANES = (*NEEDS, "backend")
HELPER_DEPTH = 3


def _source(function: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def needs_of(item: Any) -> set[str]:
    """The needs of one collected test."""
    function = getattr(item, "function", None)
    if function is None:
        return set()
    module = inspect.getmodule(function)
    sources = [_source(function)]
    seen = {function}
    calling = [sources[0]]
    for _ in range(HELPER_DEPTH):  # the module's own helpers it calls, and theirs
        names = {n for text in calling for n in re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", text)}
        calling = []
        for name in sorted(names):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper not in seen:
                seen.add(helper)
                calling.append(_source(helper))
        sources += calling
    fixtures = getattr(item, "_fixtureinfo", None)
    for name in getattr(fixtures, "names_closure", ()):
        for definition in (fixtures.name2fixturedefs.get(name) or ()):
            sources.append(_source(definition.func))
    text = "\n".join(sources)
    return {need for need, pattern in NEEDS.items() if pattern.search(text)}
