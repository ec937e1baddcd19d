"""Walks over a module's parts, each with its path in the module file, for rules and rendering alike."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.errors import Loc
from exporter.model import ChoiceQuestion, ImageBlock, Module, QuestionBase, TextBlock


def screen_blocks(module: Module) -> Iterator[tuple[Loc, object]]:
    for s, screen in enumerate(module.screens):
        for b, block in enumerate(screen.blocks):
            yield ("screens", s, "blocks", b), block


def every_block(module: Module) -> Iterator[tuple[Loc, object]]:
    """The blocks of the screens, then those of the quest's scenes."""
    yield from screen_blocks(module)
    for s, scene in enumerate(module.scenes):
        for b, block in enumerate(scene.blocks):
            yield ("scenes", s, "blocks", b), block


def images(module: Module) -> Iterator[tuple[Loc, str]]:
    """Every picture the module shows: image blocks of screens and scenes, pictures on options, avatars."""
    for loc, block in every_block(module):
        if isinstance(block, ImageBlock):
            yield (*loc, "src"), block.src
        if isinstance(block, ChoiceQuestion):
            for o, option in enumerate(block.options):
                if option.image:
                    yield (*loc, "options", o, "image"), option.image
    for p, person in enumerate(module.people):
        if person.avatar:
            yield ("people", p, "avatar"), person.avatar


def audios(module: Module) -> Iterator[tuple[Loc, str]]:
    """Every recording the module plays: of text blocks (in screens and scenes), question prompts and options."""
    for loc, block in every_block(module):
        if isinstance(block, TextBlock | QuestionBase) and block.audio:
            yield (*loc, "audio"), block.audio
        if isinstance(block, ChoiceQuestion):
            for o, option in enumerate(block.options):
                if option.audio:
                    yield (*loc, "options", o, "audio"), option.audio
