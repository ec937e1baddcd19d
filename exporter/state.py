"""The learner's saved state and its worst-case size.

SCORM 1.2 gives a module 4,096 characters of `cmi.suspend_data`, and many LMSs cut or refuse more, so
the compiler measures the largest state a module can ever save and refuses to build one that could
overflow. The shape built here is the one `templates/runtime/core.js` saves (see its README).
"""

from __future__ import annotations

import json
from typing import Any

from exporter.model import Module, ReflectionBlock
from exporter.render import answer_length
from exporter.scoring import longest_path, questions

MAX_ATTEMPT = 999


def encode(state: dict[str, Any]) -> str:
    """Serialise exactly as the runtime does: JSON.stringify gives this compact, non-ASCII-kept form."""
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def worst_case_state(module: Module) -> dict[str, Any]:
    """The largest state the runtime can save for this module."""
    last_screen = len(module.screens) - 1
    reflections = [b for s in module.screens for b in s.blocks if isinstance(b, ReflectionBlock)]
    return {
        "v": 1,
        "n": MAX_ATTEMPT,
        "s": last_screen,
        "m": last_screen,
        "a": {q.id: "z" * answer_length(q) for _, q in questions(module)},
        "p": "z" * longest_path(module),
        # A quote is the costliest character: JSON writes it as two.
        "r": {b.id: '"' * b.max_chars for b in reflections},
    }


def worst_case_size(module: Module) -> int:
    """Characters (UTF-16 code units, as LMSs count them) of the largest saved state."""
    return len(encode(worst_case_state(module)))
