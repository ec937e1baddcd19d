"""Walks over a module's parts, each with its path in the module file, for rules and rendering alike."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.errors import Loc
from exporter.model import ChoiceQuestion, ImageBlock, Module, QuestionBase, TextBlock


def screen_blocks(module: Module) -> Iterator[tuple[Loc, object]]:
    for s, screen in enumerate(module.screens):
        for b, block in enumerate(screen.blocks):
            yield ("screens", s, "blocks", b), block


def images(module: Module) -> Iterator[tuple[Loc, str]]:
    """Every picture the module shows: image blocks of screens and scenes, pictures on options, avatars."""
    for loc, block in screen_blocks(module):
        if isinstance(block, ImageBlock):
            yield (*loc, "src"), block.src
        if isinstance(block, ChoiceQuestion):
            for o, option in enumerate(block.options):
                if option.image:
                    yield (*loc, "options", o, "image"), option.image
    for s, scene in enumerate(module.scenes):
        for b, scene_block in enumerate(scene.blocks):
            if isinstance(scene_block, ImageBlock):
                yield ("scenes", s, "blocks", b, "src"), scene_block.src
    for p, person in enumerate(module.people):
        if person.avatar:
            yield ("people", p, "avatar"), person.avatar


def audios(module: Module) -> Iterator[tuple[Loc, str]]:
    """Every recording the module plays: of text blocks (in screens and scenes), question prompts and options."""
    blocks = [*screen_blocks(module),
              *((("scenes", s, "blocks", b), block) for s, scene in enumerate(module.scenes)
                for b, block in enumerate(scene.blocks))]
    for loc, block in blocks:
        if isinstance(block, TextBlock | QuestionBase) and block.audio:
            yield (*loc, "audio"), block.audio
        if isinstance(block, ChoiceQuestion):
            for o, option in enumerate(block.options):
                if option.audio:
                    yield (*loc, "options", o, "audio"), option.audio
