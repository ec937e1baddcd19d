"""The typed course model.

Every field carries a description because the JSON Schema written by `stopsexting schema` is what lesson
authors see in their editor while they type YAML.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from exporter.markdown import refuse_raw_html

Id = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,47}$",
        description="Identifier: a lowercase latin letter, then letters, digits or _ (at most 48). "
        "It ends up in SCORM identifiers and interaction ids, which allow nothing else.",
    ),
]
Markdown = Annotated[
    str,
    Field(min_length=1, description="Markdown text (CommonMark). Raw HTML is refused."),
    AfterValidator(refuse_raw_html),
]
Plain = Annotated[str, Field(min_length=1, description="Plain text, no Markdown.")]
Picture = Annotated[str, Field(pattern=r"^images/[a-z0-9_-]+\.(svg|png)$", description="`images/<name>.svg` or .png.")]
Audio = Annotated[
    str,
    Field(
        min_length=1,
        description="A recording of this text for children who do not read yet: `audio/<name>.mp3` (or .ogg, "
        ".wav) in the lessons folder. Without one, the page offers the browser's Ukrainian voice.",
    ),
]
Band = Literal["A", "B", "C"]


class Strict(BaseModel):
    """Base of every model node: unknown keys and loose types are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Contact(Strict):
    """A help contact from the program's list (content brief, section C)."""

    id: Id
    name: Plain = Field(description="Who answers, e.g. «Національна дитяча гаряча лінія».")
    phone: str | None = Field(
        default=None, pattern=r"^[0-9][0-9 ]{1,19}$", description="Phone number as dialled, e.g. «116 111»."
    )
    url: str | None = Field(
        default=None, pattern=r"^https://[^\s<>\"']+$", description="Web address of the service, https only."
    )
    what: Plain = Field(description="What the contact is for, in words a learner understands.")


class Program(Strict):
    """`program.yaml`: the program and the order of its modules."""

    id: Id
    title: Plain
    language: Literal["uk"] = Field(description="Language of every learner-facing text.")
    modules: list[Id] = Field(
        min_length=1, description="Module ids in program order; each is the file `<id>.yaml` beside this one."
    )
    contacts: list[Contact] = Field(min_length=1, description="Help contacts that modules may show.")


class TextBlock(Strict):
    """A passage of text."""

    kind: Literal["text"]
    md: Markdown
    audio: Audio | None = None


class ImageBlock(Strict):
    """An illustration shipped inside the package."""

    kind: Literal["image"]
    src: Picture = Field(
        description="Path relative to the lessons folder, e.g. `images/shield.svg`.",
    )
    alt: Plain = Field(description="Ukrainian text alternative read by screen readers; required.")
    caption: str | None = Field(default=None, description="Visible caption under the picture.")


class CalloutBlock(Strict):
    """A highlighted box; with `contacts: true` it lists the module's help contacts."""

    kind: Literal["callout"]
    tone: Literal["info", "tip", "help"] = Field(description="Colour and icon of the box.")
    md: Markdown
    contacts: bool = Field(default=False, description="List the module's help contacts under the text.")


class ReflectionBlock(Strict):
    """A private note field, kept only in the learner's browser: never graded, never sent to the LMS."""

    kind: Literal["reflection"]
    id: Id
    prompt: Markdown
    max_chars: int = Field(default=200, ge=10, le=500, description="Longest note the learner may type.")


class ChecklistItem(Strict):
    """Something the adult observed, e.g. «називає двох дорослих-помічників»."""

    id: Id
    text: Plain


class ChecklistBlock(Strict):
    """A checklist the adult fills in during a guided session; submitting it is part of completion."""

    kind: Literal["checklist"]
    id: Id
    prompt: Markdown
    items: list[ChecklistItem] = Field(min_length=1, max_length=10)


class QuestBlock(Strict):
    """Where the quest's scenes are played; exactly one in a quest module."""

    kind: Literal["quest"]


class Option(Strict):
    """An answer option of a single or multiple choice question."""

    id: Id
    text: Plain = Field(description="The option's words; with `image`, also the picture's text alternative.")
    image: Picture | None = Field(
        default=None,
        description="A picture shown on the option, for learners who do not read yet.",
    )
    correct: bool = Field(description="Whether choosing this option is right.")
    feedback: Markdown = Field(description="Shown after the learner checks the answer.")
    audio: Audio | None = None


class Item(Strict):
    """An item of an ordering question; list items in their correct order."""

    id: Id
    text: Plain
    feedback: Markdown = Field(description="Why this item belongs at its place.")


class Target(Strict):
    """A right-hand side of a matching question."""

    id: Id
    text: Plain


class Pair(Strict):
    """A left-hand side of a matching question and the target it belongs to."""

    id: Id
    text: Plain
    target: Id = Field(description="Id of the target that matches this item.")
    feedback: Markdown = Field(description="Why this item matches its target.")


class QuestionBase(Strict):
    kind: Literal["question"]
    id: Id
    prompt: Markdown
    objective: Id | None = Field(default=None, description="Id of the module objective this question assesses.")
    critical: bool = Field(default=False, description="Must be answered correctly to pass, whatever the score.")
    weight: int = Field(default=1, ge=1, le=10, description="Points this question is worth.")
    hint: Markdown | None = Field(
        default=None,
        description="Shown after a first wrong answer, which then gets one more try (worth half the weight): "
        "points towards the reasoning without giving the answer away. Not on true-false questions.",
    )
    audio: Audio | None = Field(default=None, description="A recording of the prompt: `audio/<name>.mp3|ogg|wav`.")


class ChoiceQuestion(QuestionBase):
    """Single choice (`single`: exactly one correct option) or multiple choice (`multiple`)."""

    type: Literal["single", "multiple"]
    options: list[Option] = Field(min_length=2, max_length=10)


class TrueFalseQuestion(QuestionBase):
    """A statement the learner marks as true or false."""

    type: Literal["true-false"]
    answer: bool = Field(description="Whether the statement in `prompt` is true.")
    feedback_true: Markdown = Field(description="Shown when the learner answers «Правда».")
    feedback_false: Markdown = Field(description="Shown when the learner answers «Неправда».")


class OrderingQuestion(QuestionBase):
    """Put items in order; the learner sees them shuffled and moves them with buttons."""

    type: Literal["ordering"]
    items: list[Item] = Field(min_length=2, max_length=10)


class MatchingQuestion(QuestionBase):
    """Match each pair's text to one of the targets."""

    type: Literal["matching"]
    targets: list[Target] = Field(min_length=2, max_length=10)
    pairs: list[Pair] = Field(min_length=2, max_length=10)


Question = Annotated[
    ChoiceQuestion | TrueFalseQuestion | OrderingQuestion | MatchingQuestion,
    Field(discriminator="type"),
]


Block = Annotated[
    TextBlock | ImageBlock | CalloutBlock | ReflectionBlock | ChecklistBlock | QuestBlock | Question,
    Field(discriminator="kind"),
]


class Screen(Strict):
    """One page of the module; the learner moves screen by screen."""

    id: Id
    title: Plain
    blocks: list[Block] = Field(min_length=1)


class Conditional(Strict):
    """What a quest part shown only on some paths carries: a flag that must be set, or must not be."""

    if_: Id | None = Field(
        default=None, alias="if", description="Shown only when an earlier choice on the path set this flag."
    )
    unless: Id | None = Field(default=None, description="Shown only when no earlier choice on the path set this flag.")


class SceneText(TextBlock, Conditional):
    """A narrator's passage of a scene."""


class SceneImage(ImageBlock, Conditional):
    """An illustration of a scene."""


class Message(Conditional):
    """One chat message of a scene, as a messenger shows it."""

    from_: Id = Field(alias="from", description="Id of the person who writes it, or `me` for the player.")
    time: str | None = Field(default=None, pattern=r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$",
                             description="The time the messenger shows, e.g. «19:02».")
    text: Plain


class Chat(Strict):
    """A scene shown as a messenger chat: the contact's name in the header, messages arriving one by one."""

    with_: Id = Field(alias="with", description="Id of the person whose chat it is (shown in the header).")
    messages: list[Message] = Field(min_length=1, max_length=20)


class Choice(Conditional):
    """A decision the player can take in a scene."""

    id: Id
    text: Plain = Field(description="The reply button's words.")
    reply: Plain | None = Field(
        default=None, description="What appears as the player's own chat bubble after the choice (default: `text`)."
    )
    next: Id = Field(description="Id of the scene this choice leads to.")
    points: dict[Id, Annotated[int, Field(ge=0, le=10)]] = Field(
        default_factory=dict, description="Points per meter earned by this choice, e.g. `{shields: 2}`; 0..10 each."
    )
    sets: list[Id] = Field(default_factory=list, max_length=5,
                           description="Flags this choice sets, which later messages, blocks and choices may test.")
    objective: Id | None = Field(default=None, description="Id of the module objective this decision assesses.")
    tells_adult: bool = Field(
        default=False,
        description="This choice tells a trusted adult or a helpline; the compiler checks it never costs points.",
    )
    feedback: Markdown = Field(description="Shown after the choice: supportive, names the tactic, gives the next step.")

    @property
    def total(self) -> int:
        """The choice's points over every meter: what "costs points" and "highest-scoring" compare."""
        return sum(self.points.values())


class Scene(Strict):
    """A quest scene: a chat and/or narrator blocks, then either choices or, for an ending, none."""

    id: Id
    title: Plain
    chat: Chat | None = Field(default=None, description="Show the scene as a messenger chat.")
    blocks: list[Annotated[SceneText | SceneImage, Field(discriminator="kind")]] = Field(
        default_factory=list, description="Narrator text and pictures; at least one block unless `chat` is given."
    )
    choices: list[Choice] = Field(default_factory=list, max_length=6)
    ending: bool = Field(default=False, description="True for an ending scene, which has no choices.")


class Role(Strict):
    """Who the player can play; the role's gender picks the text's grammatical forms («розповів|розповіла»)."""

    id: Id
    name: Plain
    gender: Literal["m", "f"] = Field(description="`m` or `f`: which side of `{m|f}` variants the player sees.")


class Meter(Strict):
    """A quest meter shown above the scenes, e.g. «Щити безпеки»; choices' `points` move it."""

    id: Id
    name: Plain


class Person(Strict):
    """A chat contact of the quest."""

    id: Id
    name: Plain = Field(description="The name the messenger shows, e.g. «Ліза_13».")
    avatar: Picture | None = Field(
        default=None,
        description="A picture for the contact; without one the chat shows the name's initials.",
    )


class Audience(Strict):
    """Who the module is for."""

    ages: str | None = Field(default=None, pattern=r"^\d{1,2}–\d{1,2}$", description="Ages, e.g. «4–6».")
    grades: str | None = Field(default=None, pattern=r"^\d{1,2}–\d{1,2}$", description="School grades, e.g. «7–8».")

    @property
    def label(self) -> str:
        """The group as Ukrainian schools name it («4–6 років», «7–8 класи»), the same on every page and package."""
        parts = ([f"{self.ages} років"] if self.ages else []) + ([f"{self.grades} класи"] if self.grades else [])
        return ", ".join(parts) or "Для всіх вікових груп"


class Objective(Strict):
    """A learning objective; questions and quest choices point at it by id."""

    id: Id
    text: Plain


class TeacherNotes(Strict):
    """Notes for teachers and parents; never shown on a learner's screen."""

    preparation: Markdown
    running: Markdown = Field(description="How to run the module.")
    disclosure: Markdown = Field(description="How to react if a child discloses abuse.")


class Module(Strict):
    """A module file `<id>.yaml`."""

    id: Id
    kind: Literal["session", "lesson", "quest"] = Field(
        description="`session`: guided by an adult, ungraded; `lesson`: graded questions; `quest`: branching scenes."
    )
    title: Plain
    audience: Audience
    band: Band | None = Field(
        default=None,
        description="Age band of the page: A (ages 4–8: picture cards, one task per screen, listen buttons), "
        "B (8–12: cards, stars), C (12–17). Derived from the audience when left out.",
    )
    duration_minutes: int = Field(ge=5, le=90)
    objectives: list[Objective] = Field(min_length=1)
    mastery: int | None = Field(
        default=None, ge=1, le=100, description="Percent needed to pass; required for lessons and quests."
    )
    help: list[Id] = Field(min_length=1, description="Ids of the program contacts shown in this module's help.")
    read_aloud: bool = Field(
        default=False,
        description="Offer a «Прочитати вголос» button on every screen (browser speech, Ukrainian voice).",
    )
    teacher: TeacherNotes
    screens: list[Screen] = Field(min_length=1)
    roles: list[Role] = Field(default_factory=list, max_length=6,
                              description="Quests: who the player can play, picked on the quest's first screen.")
    meters: list[Meter] = Field(default_factory=list, max_length=4, description="Quests: the meters choices move.")
    people: list[Person] = Field(default_factory=list, max_length=10, description="Quests: the chat contacts.")
    start: Id | None = Field(default=None, description="Quests: id of the first scene.")
    scenes: list[Scene] = Field(default_factory=list, description="Quests: the scene graph.")

    @property
    def age_band(self) -> Band:
        """The band the page is built for: `band`, else from the youngest learner (the lower bound of `ages`, or of
        `grades` + 5, a first-grader being about six): under 8 → A, under 12 → B, else C. A module for every
        age is built for the oldest look, C, as today's pages are."""
        if self.band:
            return self.band
        audience = self.audience
        youngest = (int(audience.ages.split("–")[0]) if audience.ages
                    else int(audience.grades.split("–")[0]) + 5 if audience.grades else None)
        if youngest is None or youngest >= 12:
            return "C"
        return "A" if youngest < 8 else "B"

    @property
    def summary(self) -> str:
        """Who it is for, how long it takes, what learners take away: what a teacher or admin picks it by in
        an LMS's list (cmi5 AU and LTI link descriptions)."""
        objectives = " ".join(objective.text for objective in self.objectives)
        return f"{self.audience.label}, {self.duration_minutes} хв. {objectives}"
