"""City departments whose counselors an interpreter can bring into a session."""

from __future__ import annotations

import re
from collections.abc import Iterable

from counseling.services import Skill

DEPARTMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
DEFAULT_DEPARTMENTS: tuple[str, ...] = (
    "welfare",
    "transport",
    "tax",
    "housing",
    "health",
    "immigration",
)
# How a department is written among a staff member's skills: "department/welfare".
PREFIX = "department/"


def check_department(name: str) -> str:
    """The name, if it is a well-formed department name; ValueError otherwise."""
    if not DEPARTMENT_NAME.match(name):
        raise ValueError(f"not a department name: {name!r}")
    return name


def department_skill(name: str) -> str:
    """A department as written in a staff member's stored skills."""
    return PREFIX + check_department(name)


def split_departments(texts: Iterable[str]) -> tuple[list[str], frozenset[str]]:
    """Stored skill texts -> (the service skills' texts, the departments)."""
    skills: list[str] = []
    departments: set[str] = set()
    for text in texts:
        if text.startswith(PREFIX):
            departments.add(check_department(text.removeprefix(PREFIX)))
        else:
            skills.append(text)
    return skills, frozenset(departments)


def parse_skills(texts: Iterable[str]) -> tuple[frozenset[Skill], frozenset[str]]:
    """A staff member's stored skills: service skills, and departments."""
    skills, departments = split_departments(texts)
    return frozenset(Skill.parse(t) for t in skills), departments


def skill_texts(skills: Iterable[Skill], departments: Iterable[str]) -> list[str]:
    """How ``parse_skills`` reads them back."""
    return sorted([*(str(s) for s in skills), *map(department_skill, departments)])
