"""YAML loading that keeps the line and column of every key and value.

Containers become LDict / LList, which remember where each child stood;
scalars stay plain Python values so the rest of the generator reads naturally.
"""
import yaml

from .diag import BOOL_HINT, Loc, SpecError, describe, show


class LDict(dict):
    def __init__(self, loc):
        super().__init__()
        self.loc = loc
        self.key_locs = {}
        self.val_locs = {}

    def key_loc(self, key):
        return self.key_locs.get(key, self.loc)

    def val_loc(self, key):
        return self.val_locs.get(key, self.loc)


class LList(list):
    def __init__(self, loc):
        super().__init__()
        self.loc = loc
        self.item_locs = []

    def item_loc(self, i):
        return self.item_locs[i] if i < len(self.item_locs) else self.loc


# What usually causes the YAML errors people meet most.
_HINTS = {
    "mapping values are not allowed here": "quote a value that contains ': ', or check the indentation",
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
}


def _loc(path, mark):
    return Loc(path, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, path, text):
        self.path = path
        # One SafeLoader is kept only to resolve scalar tags (int, bool, null...).
        self.scalars = yaml.SafeLoader(text)
        self.built = {}      # node id -> value: an alias is built once, not once per use
        self.building = set()

    def build(self, node):
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.building:
            raise SpecError(_loc(self.path, node.start_mark), "YAML alias refers to a node that contains it")
        self.building.add(key)
        value = self._build(node)
        self.building.discard(key)
        self.built[key] = value
        return value

    def _build(self, node):
        loc = _loc(self.path, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            self.scalars.flatten_mapping(node)
            out = LDict(loc)
            for knode, vnode in node.value:
                kloc = _loc(self.path, knode.start_mark)
                if not isinstance(knode, yaml.ScalarNode):
                    raise SpecError(kloc, "mapping keys must be plain names")
                key = self.scalars.construct_object(knode)
                if not isinstance(key, str):
                    hint = f" ({BOOL_HINT})" if isinstance(key, bool) else ""
                    raise SpecError(kloc, f"mapping key '{show(key)}' must be a name, not {describe(key)}{hint}")
                if key in out:
                    first = out.key_locs[key]
                    raise SpecError(kloc, f"duplicate key '{show(key)}' (first at line {first.line})")
                out[key] = self.build(vnode)
                out.key_locs[key] = kloc
                out.val_locs[key] = _loc(self.path, vnode.start_mark)
            return out
        if isinstance(node, yaml.SequenceNode):
            out = LList(loc)
            for item in node.value:
                out.append(self.build(item))
                out.item_locs.append(_loc(self.path, item.start_mark))
            return out
        return self.scalars.construct_object(node)


def load(path, display=None):
    """Load one YAML file; every problem becomes a located SpecError."""
    name = display or path
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SpecError(Loc(name, 1, 1), f"cannot read file: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise SpecError(Loc(name, 1, 1), f"file is not UTF-8: {e.reason}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = _loc(name, mark) if mark else Loc(name, 1, 1)
        problem = e.problem or e.context or "malformed YAML"
        if e.problem and e.context and not e.context.startswith("while "):
            problem = f"{e.context}, {problem}"  # "expected a single document..., but found another"
        elif e.problem and e.context and e.context_mark and e.context_mark.line != mark.line:
            # "while parsing a flow mapping": say where the unfinished thing began
            problem += f" ({e.context} that starts at line {e.context_mark.line + 1})"
        if problem in _HINTS:
            problem += f" ({_HINTS[problem]})"
        raise SpecError(loc, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as e:
        raise SpecError(Loc(name, 1, 1), f"YAML: {e}") from None
    if node is None:
        raise SpecError(Loc(name, 1, 1), "file is empty")
    try:
        return _Builder(name, text).build(node)
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        loc = _loc(name, mark) if mark else Loc(name, 1, 1)
        raise SpecError(loc, f"YAML value: {e.problem}") from None
    except (ValueError, TypeError) as e:
        raise SpecError(Loc(name, 1, 1), f"YAML value: {e}") from None
