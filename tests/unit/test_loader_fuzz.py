"""Random YAML and random mutations of a valid module give clean problem reports, never an exception."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.errors import ProblemReport
from exporter.loader import load_course

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "course"
LESSON = (FIXTURE / "lesson.yaml").read_text(encoding="utf-8")
QUEST = (FIXTURE / "quest.yaml").read_text(encoding="utf-8")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("fuzz") / "lessons"
    shutil.copytree(FIXTURE, target)
    return target


def load_with(folder: Path, name: str, text: str) -> None:
    """Loading must either succeed or raise a report whose every line names the file and a code."""
    (folder / name).write_text(text, encoding="utf-8")
    try:
        load_course(folder)
    except ProblemReport as report:
        assert report.problems
        for problem in report.problems:
            assert problem.code.startswith("E-") and problem.message
            assert problem.line >= 0 and problem.column >= 0
    finally:
        (folder / "lesson.yaml").write_text(LESSON, encoding="utf-8")
        (folder / "quest.yaml").write_text(QUEST, encoding="utf-8")


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=12)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text(folder: Path, text: str) -> None:
    load_with(folder, "lesson.yaml", text)


yaml_chars = st.sampled_from(
    [*":-[]{}&*!|>'\"%@`#,? \n\t", "<<", "!!python/name:os.system", "&a", "*a", "\ufeff"]
)


@FUZZ
@given(position=st.integers(0, len(QUEST)), noise=st.lists(yaml_chars, max_size=6))
def test_text_mutations(folder: Path, position: int, noise: list[str]) -> None:
    load_with(folder, "quest.yaml", QUEST[:position] + "".join(noise) + QUEST[position:])


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


@FUZZ
@given(data=st.data(), source=st.sampled_from(["lesson.yaml", "quest.yaml"]),
       action=st.sampled_from(["replace", "delete", "add", "duplicate"]))
def test_structural_mutations(folder: Path, data: st.DataObject, source: str, action: str) -> None:
    document = yaml.safe_load(LESSON if source == "lesson.yaml" else QUEST)
    path = data.draw(st.sampled_from(paths(document)[1:]))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = data.draw(values)
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last][data.draw(st.text(min_size=1, max_size=8))] = data.draw(values)
    elif isinstance(parent, list):
        parent.append(parent[last])
    load_with(folder, source, yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def test_alias_bomb_is_refused(folder: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    (folder / "lesson.yaml").write_text(bomb, encoding="utf-8")
    try:
        with pytest.raises(ProblemReport) as caught:
            load_course(folder)
    finally:
        (folder / "lesson.yaml").write_text(LESSON, encoding="utf-8")
    assert [p.code for p in caught.value.problems] == ["E-YAML-SIZE"]
