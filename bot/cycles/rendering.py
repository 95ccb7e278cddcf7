"""Rendering many mails of one kind quickly: one real render per shape, then only the values change.

Planning a cycle queues a mail per uitvraag, and rendering each through Jinja (text and HTML body) costs about
0.5 ms. Measured with `python -m bench.plan_cycle --contracts 20000 --suppliers 2000` (SQLite, 25,000 invitations,
two runs each on a quiet 2-core machine): plan_cycles took 12.5 s and 15.6 s with this module, 25.0 s and 29.5 s
with a real render for every mail; the sweep's 25,000 reminders 8.1 s and 9.5 s against 20.5 s and 22.8 s. It halves
planning, so it stays. The mails of one run differ mostly in their string values (names, references, links).

Correct by construction, not by sampling: before a kind is rendered fast, `template_uses` reads its templates
(the text and HTML body, every template they extend, include or import, and the macros they call) and records, for
every value the context hands in, how the templates use it. A string that is only printed (`{{ name }}`), only put
into a translated sentence as `%(name)s`, or only tested for being empty is "plain": the skeleton holds a marker in
its place and the value is filled in afterwards, HTML-escaped for the HTML body exactly as autoescaping does. Every
other string (compared, filtered, passed to anything else, or used in a way this module does not know) is part of
the shape itself: a mail whose such values differ gets its own real render. So a template that does more with a
value than print it (`|truncate`, `== "evidence"`) is never filled in from a skeleton rendered with another value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from babel.support import Translations
from jinja2 import nodes
from markupsafe import escape

from bot.i18n import DEFAULT_LOCALE, LANGUAGES, translations
from bot.mail.render import TEMPLATE_DIR, RenderedMail, environment, render_mail

_OPEN, _CLOSE = "\ue000", "\ue001"  # Unicode private-use characters: never in a template, refused in values
_MARKER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
MAX_SKELETONS = 2000  # shapes kept per run; past it, new shapes are rendered for real

Path = tuple[str, ...]  # a value's place in the context: ("contracts", "[]", "name"); "[]" is any list item
PLAIN_LEAF = frozenset({"print", "truth"})  # what a template may do with a string that stands in a skeleton
PLAIN_CONTAINER = frozenset({"navigate", "iterate", "truth", "length"})  # ... and with the dicts/lists holding it
GETTEXT = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})
_PLAIN_FORMAT = re.compile(r"%\((\w+)\)s|%%")
_ANY_FORMAT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


class _NotPlain(Exception):
    """A value that cannot stand in a skeleton (it contains a marker character, or is a special kind of str)."""


@dataclass
class _Skeleton:
    subject: str  # format strings: the literal text with "{n}" where value n goes
    text: str
    html: str | None


class MailRenderer:
    """Renders mails exactly like `render_mail`, reusing one skeleton per shape; create one per run."""

    def __init__(self) -> None:
        self._skeletons: dict[tuple[Any, ...], _Skeleton] = {}
        self.real_renders = 0

    def render(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        uses = template_uses(kind, language)
        values: list[str] = []
        shape: list[Any] = [kind, language]
        try:
            _flatten(context, (), uses, values, shape)
        except _NotPlain:
            return self._real(kind, language, context)
        key = tuple(shape)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            if len(self._skeletons) >= MAX_SKELETONS:
                return self._real(kind, language, context)
            marked = _mark(context, (), uses, iter(range(len(values))))
            skeleton = self._skeletons[key] = self._skeleton(kind, language, marked)
        return RenderedMail(
            subject=" ".join(skeleton.subject.format(*values).split()),
            text=skeleton.text.format(*values),
            html=None if skeleton.html is None else skeleton.html.format(*[escape(v) for v in values]),
        )

    def _real(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        self.real_renders += 1
        return render_mail(kind, language, context)

    def _skeleton(self, kind: str, language: str, marked: dict[str, Any]) -> _Skeleton:
        self.real_renders += 1
        rendered = render_mail(kind, language, marked)
        return _Skeleton(
            subject=_format_string(rendered.subject),
            text=_format_string(rendered.text),
            html=None if rendered.html is None else _format_string(rendered.html),
        )


def _format_string(rendered: str) -> str:
    """'a<m0>b{c}<m1>' -> 'a{0}b{{c}}{1}': a str.format template of the rendered text."""
    pieces = []
    position = 0
    for match in _MARKER.finditer(rendered):
        pieces.append(rendered[position : match.start()].replace("{", "{{").replace("}", "}}"))
        pieces.append("{" + match.group(1) + "}")
        position = match.end()
    pieces.append(rendered[position:].replace("{", "{{").replace("}", "}}"))
    return "".join(pieces)


def plain_string(uses: dict[Path, frozenset[str]], path: Path) -> bool:
    """Whether the string at `path` may stand in a skeleton: printed or tested only, and held only by containers
    that are walked, counted or tested."""
    if not uses.get(path, frozenset()) <= PLAIN_LEAF:
        return False
    return all(uses.get(path[:n], frozenset()) <= PLAIN_CONTAINER for n in range(1, len(path)))


def _flatten(value: Any, path: Path, uses: dict[Path, frozenset[str]], values: list[str], shape: list[Any]) -> None:
    """Collect every plain string of `value` in order, and in `shape` everything else a template may act on."""
    kind = type(value)
    if kind is str:
        if _OPEN in value or _CLOSE in value:
            raise _NotPlain
        if plain_string(uses, path):
            values.append(value)
            shape.append(bool(value))
        else:
            shape.append(("value", value))  # the template acts on this string: a mail per value
    elif kind is dict:
        shape.append(len(value))
        for name, item in value.items():
            shape.append(name)
            _flatten(item, (*path, name), uses, values, shape)
    elif kind is list or kind is tuple:
        shape.append(("list", len(value)))
        for item in value:
            _flatten(item, (*path, "[]"), uses, values, shape)
    elif isinstance(value, str | dict | list | tuple):
        raise _NotPlain  # a subclass (Markup, an enum) may render differently: render the real thing
    else:
        shape.append(value)  # numbers, dates, None: part of the shape as they are


def _mark(value: Any, path: Path, uses: dict[Path, frozenset[str]], numbers: Iterator[int]) -> Any:
    """`value` with the marker of its plain string number n in place of each plain string (`_flatten`'s order)."""
    kind = type(value)
    if kind is str:
        return f"{_OPEN}{next(numbers)}{_CLOSE}" if plain_string(uses, path) else value
    if kind is dict:
        return {name: _mark(item, (*path, name), uses, numbers) for name, item in value.items()}
    if kind is list or kind is tuple:
        return [_mark(item, (*path, "[]"), uses, numbers) for item in value]
    return value


# --- what the templates do with each value ----------------------------------------------------------------------


@cache
def template_uses(kind: str, language: str) -> dict[Path, frozenset[str]]:
    """For every context path the templates of mail `kind` read, how they use it (see the module docstring)."""
    lang = language if language in LANGUAGES else DEFAULT_LOCALE
    names = [f"{kind}.txt"] + ([f"{kind}.html"] if (TEMPLATE_DIR / f"{kind}.html").exists() else [])
    found: dict[Path, set[str]] = defaultdict(set)
    for name in names:
        autoescape = name.endswith(".html")
        for path, use in uses_in(environment(autoescape, lang), name, translations(lang)):
            found[path].add(use)
    return {path: frozenset(kinds) for path, kinds in found.items()}


def uses_in(env: jinja2.Environment, name: str, catalogue: Translations | None = None) -> list[tuple[Path, str]]:
    """(path, use) for every use of a context value in template `name` of `env` and what it pulls in; with
    `catalogue`, the translations of its sentences are read for their placeholders too."""
    reader = _Reader(env, catalogue)
    reader.template(name, {})
    return reader.found


class _Reader:
    """Walks a template's syntax tree. A local name (loop variable, `set`, macro parameter) stands for the context
    paths its value came from; every node this reader does not know marks the values in it as "other"."""

    def __init__(self, env: jinja2.Environment, catalogue: Translations | None) -> None:
        self.env = env
        self.catalogue = catalogue
        self.found: list[tuple[Path, str]] = []
        self.macros: dict[str, nodes.Macro] = {}  # macros defined in, or imported by name into, the templates read
        self.namespaces: dict[str, dict[str, nodes.Macro]] = {}  # `import ... as name`
        self.modules: dict[str, dict[str, nodes.Macro]] = {}  # template name -> its macros
        self.depth = 0

    def parse(self, name: str) -> nodes.Template:
        source, _filename, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        return self.env.parse(source)

    def template(self, name: str, scope: dict[str, set[Path]]) -> None:
        tree = self.parse(name)
        for macro in tree.find_all(nodes.Macro):
            self.macros[macro.name] = macro
        self.body(tree.body, scope)
        for extends in tree.find_all(nodes.Extends):
            self.template(self.constant_name(extends.template), scope)

    def constant_name(self, node: nodes.Expr) -> str:
        if not isinstance(node, nodes.Const) or not isinstance(node.value, str):
            raise ValueError("a mail template names the template it extends, includes or imports as a constant")
        return node.value

    def module(self, name: str) -> dict[str, nodes.Macro]:
        if name not in self.modules:
            tree = self.parse(name)
            self.modules[name] = {macro.name: macro for macro in tree.find_all(nodes.Macro)}
            self.body(tree.body, {})  # its top-level `set`s (word tables) read no context value, or are marked
        return self.modules[name]

    def mark(self, paths: Iterable[Path], use: str) -> None:
        self.found.extend((path, use) for path in paths)

    def body(self, statements: Iterable[nodes.Node], scope: dict[str, set[Path]]) -> None:
        for statement in statements:
            self.statement(statement, scope)

    def statement(self, node: nodes.Node, scope: dict[str, set[Path]]) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.mark(self.value(child, scope), "print")
        elif isinstance(node, nodes.If):
            self.mark(self.value(node.test, scope), "truth")
            self.body(node.body, scope)
            for elif_ in node.elif_:
                self.statement(elif_, scope)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.For) and isinstance(node.target, nodes.Name):
            items = self.value(node.iter, scope)
            self.mark(items, "iterate")
            inner = dict(scope)
            inner[node.target.name] = {(*path, "[]") for path in items}
            if node.test is not None:
                self.mark(self.value(node.test, inner), "truth")
            self.body(node.body, inner)
            self.body(node.else_, scope)
        elif isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            paths = self.value(node.node, scope)
            scope[node.target.name] = paths
            if node.target.name == "subject":
                self.mark(paths, "print")  # the subject line: printed, its white space collapsed afterwards
        elif isinstance(node, nodes.Block | nodes.Scope | nodes.ScopedEvalContextModifier):
            self.body(node.body, scope)
        elif isinstance(node, nodes.Include):
            self.template(self.constant_name(node.template), scope)
        elif isinstance(node, nodes.Import):
            scope[node.target] = set()
            self.namespaces[node.target] = self.module(self.constant_name(node.template))
        elif isinstance(node, nodes.FromImport):
            macros = self.module(self.constant_name(node.template))
            for imported in node.names:
                name, alias = imported if isinstance(imported, tuple) else (imported, imported)
                if name in macros:
                    self.macros[alias] = macros[name]
        elif isinstance(node, nodes.Macro | nodes.Extends):
            pass  # a macro is read where it is called; the extended template after this one
        else:
            self.other(node, scope)

    def other(self, node: nodes.Node, scope: dict[str, set[Path]]) -> None:
        """A node this reader does not know: every context value in it is used in some unknown way."""
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.mark(self.value(node, scope), "other")
            return
        for child in node.iter_child_nodes():
            self.other(child, scope)

    def name(self, name: str, scope: dict[str, set[Path]]) -> set[Path]:
        return set(scope[name]) if name in scope else {(name,)}

    def value(self, node: nodes.Node, scope: dict[str, set[Path]]) -> set[Path]:
        """The context paths whose strings flow unchanged into the value of `node` (uses on the way are marked)."""
        if isinstance(node, nodes.Const | nodes.TemplateData):
            return set()
        if isinstance(node, nodes.Name):
            return set() if node.name in ("loop", "caller") else self.name(node.name, scope)
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            attribute = node.attr if isinstance(node, nodes.Getattr) else node.arg
            if isinstance(node, nodes.Getitem):
                if not isinstance(attribute, nodes.Const):  # a slice or a computed key: reads the value itself
                    self.mark(self.value(node.node, scope), "other")
                    self.other(attribute, scope)
                    return set()
                attribute = "[]" if isinstance(attribute.value, int) else str(attribute.value)
            if isinstance(node.node, nodes.Name) and node.node.name == "loop":
                return set()
            holders = self.value(node.node, scope)
            self.mark(holders, "navigate")
            return {(*path, str(attribute)) for path in holders}
        if isinstance(node, nodes.Test):
            if node.name in ("defined", "undefined", "none") and not node.args:
                self.mark(self.value(node.node, scope), "navigate")  # presence and None are in the shape
            else:
                self.other(node, scope)
            return set()
        if isinstance(node, nodes.Not):
            self.mark(self.value(node.node, scope), "truth")
            return set()
        if isinstance(node, nodes.And | nodes.Or):
            paths = self.value(node.left, scope) | self.value(node.right, scope)
            self.mark(paths, "truth")
            return paths
        if isinstance(node, nodes.CondExpr):
            self.mark(self.value(node.test, scope), "truth")
            paths = self.value(node.expr1, scope)
            return paths | (self.value(node.expr2, scope) if node.expr2 is not None else set())
        if isinstance(node, nodes.Filter) and node.name == "length" and node.node is not None and not node.args:
            self.mark(self.value(node.node, scope), "length")
            return set()
        if isinstance(node, nodes.Call):
            return self.call(node, scope)
        self.other(node, scope)
        return set()

    def call(self, node: nodes.Call, scope: dict[str, set[Path]]) -> set[Path]:
        callee = node.node
        if isinstance(callee, nodes.Name) and callee.name in GETTEXT:
            return self.gettext(callee.name, node, scope)
        macro = None
        if isinstance(callee, nodes.Name):
            macro = self.macros.get(callee.name)
        elif isinstance(callee, nodes.Getattr) and isinstance(callee.node, nodes.Name):
            macro = self.namespaces.get(callee.node.name, {}).get(callee.attr)
        if macro is not None and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None:
            return self.macro_call(macro, node, scope)
        self.other(node, scope)
        return set()

    def macro_call(self, macro: nodes.Macro, node: nodes.Call, scope: dict[str, set[Path]]) -> set[Path]:
        """A macro's output holds what its body prints: read the body with the parameters bound to the arguments."""
        if self.depth > 8 or len(node.args) > len(macro.args):
            self.other(node, scope)
            return set()
        inner: dict[str, set[Path]] = {}
        for parameter, argument in zip(macro.args, node.args, strict=False):
            inner[parameter.name] = self.value(argument, scope)
        for parameter in macro.args[len(node.args) :]:
            inner[parameter.name] = set()
        found_before = len(self.found)
        self.depth += 1
        self.body(macro.body, inner)
        self.depth -= 1
        # What the body prints is the call's output: it flows on to wherever that goes; other uses stay.
        printed = {path for path, use in self.found[found_before:] if use == "print"}
        self.found[found_before:] = [(path, use) for path, use in self.found[found_before:] if use != "print"]
        return printed

    def gettext(self, function: str, node: nodes.Call, scope: dict[str, set[Path]]) -> set[Path]:
        """A translated sentence: the values put in as `%(name)s` flow into it; any other placeholder, or a count,
        is a use of its own. The msgid and its translations are read, so a catalogue cannot change that."""
        constants = [arg.value for arg in node.args if isinstance(arg, nodes.Const) and isinstance(arg.value, str)]
        plain_names, other_names = set(), set()
        for text in constants + self.translated(function, constants):
            for match in _ANY_FORMAT.finditer(text):
                if match.group(1) is not None:
                    (plain_names if _PLAIN_FORMAT.fullmatch(match.group(0)) else other_names).add(match.group(1))
        for argument in node.args:
            if not isinstance(argument, nodes.Const):  # the count of ngettext: a number, or a use of its own
                self.mark(self.value(argument, scope), "other")
        paths: set[Path] = set()
        for keyword in node.kwargs:
            flowing = self.value(keyword.value, scope)
            if keyword.key in plain_names and keyword.key not in other_names:
                paths |= flowing
            else:
                self.mark(flowing, "other")
        return paths

    def translated(self, function: str, texts: list[str]) -> list[str]:
        """The catalogue's texts for this call (every plural form it may pick)."""
        catalogue = self.catalogue
        if catalogue is None:
            return []
        if function in ("_", "gettext") and texts:
            return [catalogue.gettext(texts[0])]
        if function == "ngettext" and len(texts) >= 2:
            return [catalogue.ngettext(texts[0], texts[1], n) for n in (1, 2, 5)]
        if function == "pgettext" and len(texts) >= 2:
            return [catalogue.pgettext(texts[0], texts[1])]
        if function == "npgettext" and len(texts) >= 3:
            return [catalogue.npgettext(texts[0], texts[1], texts[2], n) for n in (1, 2, 5)]
        return []
