"""Load questionnaire files: one file, or the project's `questionnaires/` directory (cached), by id.

Parsing and validation live in `bot.questionnaires.parser`; its names are re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.questionnaires.model import Questionnaire
from bot.questionnaires.parser import QuestionnaireError, content_hash, parse_questionnaire

__all__ = [
    "DEFAULT_DIRECTORY",
    "QuestionnaireError",
    "content_hash",
    "get_questionnaire",
    "load_all",
    "load_questionnaire",
    "parse_questionnaire",
]

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "files"  # package data: shipped inside the wheel


def load_questionnaire(path: str | Path, *, check_measures: bool = True) -> Questionnaire:
    """Read and validate one questionnaire file. Raises `QuestionnaireError` listing every problem."""
    path = Path(path)
    try:
        # bytes, not read_text: the stored snapshot and its hash are the file exactly as written
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionnaireError([f"{path}: cannot be read: {error}"]) from None
    return parse_questionnaire(text, name=str(path), check_measures=check_measures)


# --- the shipped questionnaires -----------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[Any, ...], dict[str, Questionnaire]]] = {}


def load_all(directory: str | Path | None = None) -> dict[str, Questionnaire]:
    """Every questionnaire in `directory` (default: the project's `questionnaires/`), by id.

    Each file must be named `<id>.toml`. Cached per directory until a file in it changes.
    """
    folder = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    paths = sorted(folder.glob("*.toml"))
    key = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    cached = _cache.get(str(folder.resolve()))
    if cached is not None and cached[0] == key:
        return cached[1]
    errors: list[str] = []
    found: dict[str, Questionnaire] = {}
    for path in paths:
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as error:
            errors.extend(error.errors)
            continue
        if questionnaire.id != path.stem:
            errors.append(
                f'{path}: questionnaire, field "id": the file of "{questionnaire.id}" must be named '
                f"{questionnaire.id}.toml"
            )
            continue
        found[questionnaire.id] = questionnaire
    if errors:
        raise QuestionnaireError(errors)
    _cache[str(folder.resolve())] = (key, found)
    return found


def get_questionnaire(questionnaire_id: str) -> Questionnaire:
    """The current version of a shipped questionnaire. Raises KeyError naming the id when there is none."""
    questionnaires = load_all()
    if questionnaire_id not in questionnaires:
        raise KeyError(f"no questionnaire {questionnaire_id!r}; known: {', '.join(sorted(questionnaires))}")
    return questionnaires[questionnaire_id]
