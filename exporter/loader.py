"""YAML lessons → typed model, refusing anything ambiguous, with a source position for every problem.

PyYAML's composer gives nodes with positions; we turn them into plain data ourselves so that duplicate
keys, odd tags and alias bombs are refused, and we remember where every value stood so that pydantic's
errors (which only know a field path) can be reported at a line and column.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from exporter.errors import Loc, Problem, ProblemReport, display_path, format_loc
from exporter.model import Module, Program

MAX_NODES = 50_000
# libyaml's parser when PyYAML was built with it: the same nodes and marks, several times faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PROGRAM_FILE = "program.yaml"
M = TypeVar("M", bound=BaseModel)
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class Source:
    """A YAML file turned into plain data, with the position of every value and every key."""

    file: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    flagged: set[Loc] = field(default_factory=set)

    def where(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Position of `loc`, or of its nearest ancestor that exists in the file."""
        table = self.keys if key and loc in self.keys else self.values
        while loc not in table and loc:
            loc = loc[:-1]
        return table.get(loc, (1, 1))

    def problem(self, loc: Loc, code: str, message: str, *, key: bool = False) -> Problem:
        line, column = self.where(loc, key=key)
        return Problem(self.file, line, column, code, format_loc(loc), message)


@dataclass(frozen=True)
class Course:
    """The whole loaded program: what every later phase (render, package) works from."""

    folder: Path
    program: Program
    modules: tuple[Module, ...]
    program_source: Source
    sources: dict[str, Source]  # by module id

    def module(self, module_id: str) -> Module:
        return next(m for m in self.modules if m.id == module_id)


class _Reader:
    """Converts one composed YAML document to plain data, recording positions."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, code: str, loc: Loc, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.source.file, mark.line + 1, mark.column + 1, code,
                                     format_loc(loc), message))

    def read(self, node: yaml.Node, loc: Loc, stack: frozenset[int]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        if id(node) in stack:
            self.fail(node, "E-YAML-ALIAS", loc, "an alias refers to itself; write the value out")
            return None
        self.source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.CollectionNode) and node.tag not in (MAP_TAG, SEQ_TAG):
            self.fail(node, "E-YAML-TAG", loc, f"unsupported tag {node.tag!r}; write plain YAML")
            self.source.flagged.add(loc)
            return None
        if isinstance(node, yaml.MappingNode):
            return self.read_mapping(node, loc, stack | {id(node)})
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*loc, i), stack | {id(node)}) for i, item in enumerate(node.value)]
        return self.read_scalar(node, loc)

    def read_mapping(self, node: yaml.MappingNode, loc: Loc, stack: frozenset[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, "E-YAML-MERGE", loc, "merge keys (<<) are not allowed; write the fields out")
                continue
            key = self.read_scalar(key_node, loc) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.fail(key_node, "E-YAML-KEY", loc, "a key must be a plain word, e.g. `title`")
                continue
            if key in result:
                first = self.source.keys[(*loc, key)]
                self.fail(key_node, "E-YAML-DUPKEY", (*loc, key),
                          f"duplicate key '{key}' (first at line {first[0]}); keep one")
                continue
            self.source.keys[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.read(value_node, (*loc, key), stack)
        return result

    def read_scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.fail(node, "E-YAML-TAG", loc, f"unsupported value or tag {node.tag!r}: {_first_line(error)}")
            self.source.flagged.add(loc)
            return None


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _first_line(error: BaseException) -> str:
    problem = getattr(error, "problem", None)
    return str(problem or error).strip().splitlines()[0]


def read_yaml(path: Path) -> tuple[Source, list[Problem]]:
    """Read a YAML file into a Source; syntax errors come back as problems, never as exceptions."""
    source = Source(display_path(path), None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return source, [Problem(source.file, 0, 0, "E-FILE", "", f"cannot read the file: {error}")]
    try:
        documents = list(yaml.compose_all(text, Loader=LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return source, [Problem(source.file, line, column, "E-YAML", "", f"YAML syntax: {_first_line(error)}")]
    except yaml.YAMLError as error:
        return source, [Problem(source.file, 1, 1, "E-YAML", "", f"YAML syntax: {_first_line(error)}")]
    if len(documents) != 1 or documents[0] is None:
        return source, [Problem(source.file, 1, 1, "E-YAML", "", "expected exactly one YAML document")]
    reader = _Reader(source)
    try:
        source.data = reader.read(documents[0], (), frozenset())
    except _TooLarge as too_large:
        mark = too_large.node.start_mark
        return source, [Problem(source.file, mark.line + 1, mark.column + 1, "E-YAML-SIZE", "",
                                f"the file expands to more than {MAX_NODES} values (alias bomb?)")]
    if not reader.problems and not isinstance(source.data, dict):
        reader.problems.append(source.problem((), "E-TYPE", "expected a mapping of fields at the top level"))
    return source, reader.problems


def validate(source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate plain data against a model, translating pydantic's errors to positioned problems."""
    try:
        return model.model_validate(source.data), []
    except ValidationError as error:
        problems = [_translate(source, model, e) for e in error.errors(include_url=False)]
        # A value the reader already refused (a bad tag, say) is not reported a second time.
        flagged = {format_loc(loc) for loc in source.flagged}
        return None, [p for p in problems if p.path not in flagged]


def _translate(source: Source, model: type[BaseModel], error: Any) -> Problem:
    loc = _data_loc(source.data, tuple(error["loc"]))
    kind, value = error["type"], error.get("input")
    owner = _model_at(model, source.data, loc[:-1])
    if kind == "extra_forbidden":
        allowed = ", ".join(info.alias or name for name, info in owner.model_fields.items()) if owner \
            else "see `stopsexting schema`"
        return source.problem(loc, "E-FIELD-UNKNOWN", f"unknown field '{loc[-1]}'; expected one of: {allowed}",
                              key=True)
    if kind == "missing":
        info = owner.model_fields.get(str(loc[-1])) if owner else None
        hint = f" ({info.description})" if info and info.description else ""
        return source.problem(loc, "E-FIELD-MISSING", f"missing required field '{loc[-1]}'{hint}")
    if kind == "union_tag_not_found":
        return source.problem(loc, "E-FIELD-MISSING", f"missing field '{error['ctx']['discriminator'].strip(chr(39))}'")
    if kind == "union_tag_invalid":
        ctx = error["ctx"]
        return source.problem((*loc, ctx["discriminator"].strip("'")), "E-VALUE",
                              f"unknown {ctx['discriminator']} {ctx['tag']!r}; expected one of: {ctx['expected_tags']}")
    if kind == "value_error" and "raw HTML" in error["msg"]:
        return source.problem(loc, "E-MD-HTML", error["msg"].removeprefix("Value error, "))
    if kind.endswith("_type") or kind in ("model_type", "list_type", "dict_type"):
        return source.problem(loc, "E-TYPE", f"{_lower(error['msg'])}, got {_describe(value)}")
    return source.problem(loc, "E-VALUE", f"{_lower(error['msg'])}, got {_describe(value)}")


def _lower(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _data_loc(data: Any, loc: Loc) -> Loc:
    """Drop the discriminator tags pydantic inserts into paths, leaving the path as written in YAML."""
    result: list[str | int] = []
    for part in loc:
        if isinstance(data, dict) and part not in data and part in (data.get("kind"), data.get("type")):
            continue
        result.append(part)
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            data = None
    return tuple(result)


def _model_at(model: type[BaseModel], data: Any, loc: Loc) -> type[BaseModel] | None:
    """The model class that describes the mapping at `loc`, found by walking annotations and tags."""
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part, data)
        data = data[part] if isinstance(data, dict | list) and _has(data, part) else None  # type: ignore[index]
    annotation = _pick_variant(annotation, data)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _has(data: dict[str, Any] | list[Any], part: str | int) -> bool:
    return part in data if isinstance(data, dict) else isinstance(part, int) and part < len(data)


def _step(annotation: Any, part: str | int, data: Any) -> Any:
    if isinstance(part, str):
        owner = _pick_variant(annotation, data)
        if isinstance(owner, type) and issubclass(owner, BaseModel) and part in owner.model_fields:
            return owner.model_fields[part].annotation
        return None
    args = typing.get_args(_strip(annotation))
    return args[0] if args else None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _variants(annotation: Any) -> list[Any]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) not in (Union, types.UnionType):
        return [annotation]
    return [v for a in typing.get_args(annotation) if a is not type(None) for v in _variants(a)]


def _pick_variant(annotation: Any, data: Any) -> Any:
    """Choose the union member a mapping stands for, by its `kind`/`type` tags."""
    variants = _variants(annotation)
    if len(variants) == 1:
        return variants[0]
    for variant in variants:
        if isinstance(variant, type) and issubclass(variant, BaseModel) and isinstance(data, dict) and all(
            data.get(name) in tags for name in ("kind", "type") if (tags := _tag(variant, name)) is not None
        ):
            return variant
    return None


def _tag(model: type[BaseModel], name: str) -> tuple[Any, ...] | None:
    info = model.model_fields.get(name)
    if info is None or typing.get_origin(info.annotation) is not typing.Literal:
        return None
    return typing.get_args(info.annotation)


def load_course(folder: Path) -> Course:
    """Load and check the whole program; raise one ProblemReport listing everything wrong."""
    from exporter.rules import check_course

    program_path = folder / PROGRAM_FILE
    if not folder.is_dir():
        raise ProblemReport([Problem(display_path(folder), 0, 0, "E-LESSONS", "",
                                     "lessons folder not found; pass --lessons DIR")])
    if not program_path.is_file():
        raise ProblemReport([Problem(display_path(program_path), 0, 0, "E-LESSONS", "",
                                     f"no {PROGRAM_FILE} in the lessons folder")])
    problems: list[Problem] = []
    program_source, found = read_yaml(program_path)
    problems += found
    program, found = validate(program_source, Program) if isinstance(program_source.data, dict) else (None, [])
    problems += found
    if program is None or problems:
        raise ProblemReport(problems)
    sources: dict[str, Source] = {}
    modules: list[Module] = []
    for index, module_id in enumerate(program.modules):
        path = folder / f"{module_id}.yaml"
        if not path.is_file():
            problems.append(program_source.problem(("modules", index), "E-MODULE-FILE",
                                                   f"no file {module_id}.yaml for module '{module_id}'"))
            continue
        source, found = read_yaml(path)
        module, more = validate(source, Module) if isinstance(source.data, dict) else (None, [])
        problems += found + more
        if module is not None:
            sources[module.id] = source
            modules.append(module)
            if module.id != module_id:
                problems.append(source.problem(("id",), "E-MODULE-ID",
                                               f"id '{module.id}' must equal the file name '{module_id}'"))
    course = Course(folder, program, tuple(modules), program_source, sources)
    problems += check_course(course)
    if problems:
        raise ProblemReport(problems)
    return course
