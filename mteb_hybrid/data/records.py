"""Typed records for LAReQA-style data: files -> these records -> mteb datasets (benchmark/), training rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Candidate:
    """One answer candidate: a sentence of a paragraph; `id` ("{lang}:{n}") is unique across languages."""

    id: str
    lang: str
    sentence: str
    context: str

    def text(self, form: str = "sentence+context") -> str:
        """The text a model encodes: LAReQA's (sentence, context) pair, or the sentence alone."""
        if form == "sentence":
            return self.sentence
        if form == "sentence+context":
            return f"{self.sentence}\n{self.context}"
        raise ValueError(f"unknown candidate form {form!r}; use 'sentence+context' or 'sentence'")


@dataclass(frozen=True, slots=True)
class Question:
    """One question with its answer sentence in its language; `parallel_id` is shared by its translations."""

    id: str
    parallel_id: str
    lang: str
    text: str
    answer_id: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class SkippedQuestion:
    """A question left out on load, and why (reported, never guessed)."""

    path: str
    parallel_id: str
    reason: str


@dataclass(slots=True)
class LanguageData:
    """All questions and candidates of one language file."""

    lang: str
    path: str
    questions: list[Question]
    candidates: list[Candidate]
    skipped: list[SkippedQuestion] = field(default_factory=list)
    text_mismatches: int = 0


@dataclass(slots=True)
class ParallelDataset:
    """A LAReQA dataset: several languages whose questions share parallel ids."""

    name: str
    languages: dict[str, LanguageData]

    def answers_by_parallel_id(self) -> dict[str, dict[str, str]]:
        """parallel id -> {language: answer candidate id}, over every language loaded."""
        answers: dict[str, dict[str, str]] = {}
        for lang, data in self.languages.items():
            for q in data.questions:
                answers.setdefault(q.parallel_id, {})[lang] = q.answer_id
        return answers

    def candidate_index(self) -> dict[str, Candidate]:
        """candidate id -> candidate, over every language loaded."""
        return {c.id: c for data in self.languages.values() for c in data.candidates}

    @property
    def pool_size(self) -> int:
        return sum(len(d.candidates) for d in self.languages.values())
