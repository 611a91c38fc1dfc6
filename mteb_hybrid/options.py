"""Options as data: one dataclass field gives a setting's name, type, default, help and command-line option.

`TrainConfig` (training) and `EvaluationRequest` (evaluation) are pydantic dataclasses of `option()` fields;
`add_arguments` turns such a class into argparse options and `build` into an instance whose validation errors
name the option, so an option is added, documented and checked in one place.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError


def option(
    default: Any = dataclasses.MISSING,
    *,
    help: str,  # noqa: A002
    group: str | None = None,
    factory: Any = None,
    **cli: Any,
) -> Any:
    """A field with its CLI metadata: help, group (None: the parser's own options), and optionally `aliases`
    (more flags, e.g. a short `-m` first or an older name), `choices`, `metavar`, `negative` (an extra flag that sets
    the field to False), `exclusive` (a mutually exclusive group's name), `required`, `store_true` (a flag, not a
    yes/no pair), `show_default=False` (the help already says it), `add` (a function that adds the option itself),
    `fix` (what to do when the value is refused) and `cli=False` (an API-only setting)."""
    metadata = {"help": help, "group": group, **cli}
    if factory:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def flag(name: str) -> str:
    """The option that sets field `name`."""
    return "--" + name.replace("_", "-")


def value_type(annotation: Any) -> tuple[Any, bool]:
    """(element type, is a list) of a field annotation such as `list[str] | None`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0], True
    return annotation, False


def defaults_of(cls: type) -> dict[str, Any]:
    """Each field's default (MISSING for a required one)."""
    out = {}
    for f in dataclasses.fields(cls):
        out[f.name] = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return out


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> argparse.ArgumentParser:
    """Add one option per field of `cls` to `parser`: name, type, default and help come from the field."""
    hints = typing.get_type_hints(cls)
    defaults = defaults_of(cls)
    groups: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if meta.get("cli", True) is False:
            continue
        if meta.get("add"):
            meta["add"](parser)
            continue
        group: Any = parser
        if meta.get("group"):
            group = groups[meta["group"]] = groups.get(meta["group"]) or parser.add_argument_group(meta["group"])
        if meta.get("exclusive"):  # one mutually exclusive group per name, inside the option group
            key = "exclusive:" + meta["exclusive"]
            group = groups[key] = groups.get(key) or group.add_mutually_exclusive_group()
        default = defaults[f.name]
        required = default is dataclasses.MISSING
        kind, many = value_type(hints[f.name])
        shown = " ".join(map(str, default)) if isinstance(default, list) else default
        say_default = meta.get("show_default", True) and not required and default not in (None, [])
        kwargs: dict[str, Any] = {
            "dest": f.name,
            "help": meta["help"] + (f" (default: {shown})" if say_default else ""),
        }
        if required:
            kwargs["required"] = True
        else:
            kwargs["default"] = default
        if meta.get("store_true"):
            kwargs.update(action="store_true", help=meta["help"])
            kwargs.pop("default", None)
        elif kind is bool:
            kwargs.update(action=argparse.BooleanOptionalAction, help=meta["help"])
        else:
            kwargs.update(
                type=kind if isinstance(kind, type) and kind not in (type, Any) else str,  # Any: a class in 3.11
                metavar=None if meta.get("choices") else meta.get("metavar"),
                choices=meta.get("choices"),
                nargs="+" if many else None,
            )
        names = [flag(f.name), *meta.get("aliases", [])]
        names.sort(key=lambda n: not (n.startswith("-") and not n.startswith("--")))  # a short flag first
        group.add_argument(*names, **kwargs)
        if meta.get("negative"):
            group.add_argument(
                meta["negative"],
                dest=f.name,
                action="store_const",
                const=False,
                help=f"the same as --no-{flag(f.name)[2:]}",
            )
    return parser


def values_from_args(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The field values an argparse namespace of `add_arguments(parser, cls)` holds."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}


def build(cls: type, flag: Callable[[str], str] = str, /, **values: Any) -> Any:
    """`cls(**values)`, with a one-line `ValueError` naming each bad field as `flag(name)` spells it."""
    try:
        return cls(**values)
    except ValidationError as error:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        names = set(fields)
        parts = []
        for e in error.errors():
            loc = ".".join(str(p) for p in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            first = msg.split(" ", 1)[0]  # a rule of __post_init__ starts with the field name
            if loc:  # a type error of one field; the field may say how to fix it
                fix = fields[loc].metadata.get("fix") if loc in fields else None
                parts.append(f"{flag(loc)}: {msg} (got {e['input']!r})" + (f"; {fix}" if fix else ""))
            else:
                parts.append(flag(first) + msg[len(first) :] if first in names else msg)
        raise ValueError("; ".join(parts)) from None
