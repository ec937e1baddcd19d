"""The learner's saved state and its worst-case size.

SCORM 1.2 gives a module 4,096 characters of `cmi.suspend_data`, and many LMSs cut or refuse more, so
the compiler measures the largest state a module can ever save and refuses to build one that could
overflow. The shape built here is the one `templates/runtime/core.js` saves (see its README).
"""

from __future__ import annotations

import json
from typing import Any

from exporter.model import ChecklistBlock, Module
from exporter.render import answer_length
from exporter.scoring import longest_path, questions

MAX_ATTEMPT = 999


def encode(state: dict[str, Any]) -> str:
    """Serialise exactly as the runtime does: JSON.stringify gives this compact, non-ASCII-kept form."""
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def worst_case_state(module: Module) -> dict[str, Any]:
    """The largest state the runtime can save for this module. The quest path is the longest in the scene
    graph, conditions left aside: no path the conditions allow is longer."""
    last_screen = len(module.screens) - 1
    return {
        "v": 1,
        "n": MAX_ATTEMPT,
        "s": last_screen,
        "m": last_screen,
        "a": {q.id: "z" * answer_length(q) for _, q in questions(module)},
        "w": {q.id: "z" * answer_length(q) for _, q in questions(module) if q.hint is not None},
        "p": "z" * longest_path(module),
        "k": {b.id: "z" * len(b.items) for s in module.screens for b in s.blocks if isinstance(b, ChecklistBlock)},
        "g": "z" if module.roles else "",
    }


def worst_case_size(module: Module) -> int:
    """Characters of the largest saved state; it is all ASCII, so as many as LMSs count in UTF-16."""
    return len(encode(worst_case_state(module)))
