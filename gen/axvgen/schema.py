"""Shape checks: a small JSON Schema interpreter that reports located errors.

The JSON Schema files in spec/schema/ are the single statement of each spec
file's shape: editors use them as you type, and the generator checks with them.
Supported keywords: type, properties, required, additionalProperties, items,
enum, const, pattern, minimum, maximum, minItems, maxItems, minProperties,
propertyNames, anyOf, $ref (local), description; plus "x-context", which
names an object kind so errors say e.g. "In exit 'mmio_read'".
"""
import json
import re

from .diag import BOOL_HINT, Loc, SpecError, describe as _describe, plural, show
from .loader import LDict, LList

_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


_ARTICLE = {"object": "a mapping", "array": "a list", "string": "a string",
            "integer": "an integer", "boolean": "a boolean", "null": "nothing"}


def load_schema(path, display):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise SpecError(Loc(display, 1, 1), f"cannot read schema: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise SpecError(Loc(display, e.lineno, e.colno), f"schema is not JSON: {e.msg}") from None


class Checker:
    def __init__(self, schema, errors):
        self.root = schema
        self.errors = errors

    def check(self, value, loc):
        self._check(value, self.root, loc, None, "")

    def _resolve(self, schema):
        """Follow $ref; keywords beside it (e.g. a more precise x-pattern-hint) win."""
        while "$ref" in schema:
            node = self.root
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**node, **siblings}
        return schema

    @staticmethod
    def _type_fits(value, schema):
        types = schema.get("type")
        tlist = types if isinstance(types, list) else [types] if types else []
        return any(_JSON_TYPES[t](value) for t in tlist)

    def _matches(self, value, schema):
        """Whether value fits schema, without reporting (for anyOf)."""
        probe = Checker(self.root, _Sink())
        probe._check(value, schema, Loc("", 0, 0), None, "")
        return not probe.errors.errors

    def _check(self, value, schema, loc, ctx, what):
        schema = self._resolve(schema)
        err = self.errors.error
        label = f"{what} " if what else ""
        if "anyOf" in schema:
            for alt in schema["anyOf"]:
                if self._matches(value, alt):
                    return self._check(value, alt, loc, ctx, what)
            same_type = [alt for alt in schema["anyOf"] if self._type_fits(value, self._resolve(alt))]
            if len(same_type) == 1:  # the right kind of value, wrong inside: say what is wrong
                return self._check(value, same_type[0], loc, ctx, what)
            hint = schema.get("description", "a value of another shape")
            err(loc, f"{label}must be {hint}, not {_describe(value)}", ctx)
            return
        types = schema.get("type")
        if types is not None:
            tlist = types if isinstance(types, list) else [types]
            if not any(_JSON_TYPES[t](value) for t in tlist):
                want = " or ".join(_ARTICLE[t] for t in tlist)
                hint = f" ({BOOL_HINT})" if isinstance(value, bool) and "string" in tlist else ""
                err(loc, f"{label}must be {want}, not {_describe(value)}{hint}", ctx)
                return
        if "const" in schema and value != schema["const"]:
            err(loc, f"{label}must be {schema['const']!r}", ctx)
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(str(v) for v in schema["enum"])
            if isinstance(value, (str, int)):
                err(loc, f"{label}'{show(value)}' is not one of: {allowed}", ctx)
            else:
                err(loc, f"{label}must be one of: {allowed}; not {_describe(value)}", ctx)
            return
        if isinstance(value, str) and "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            hint = schema.get("x-pattern-hint", f"match {schema['pattern']}")
            err(loc, f"{label}'{show(value)}' must {hint}", ctx)
        if isinstance(value, int) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                err(loc, f"{label}{value} is below the minimum {schema['minimum']}", ctx)
            if "maximum" in schema and value > schema["maximum"]:
                err(loc, f"{label}{value} is above the maximum {schema['maximum']}", ctx)
        if isinstance(value, list):
            self._check_list(value, schema, loc, ctx, label)
        if isinstance(value, dict):
            self._check_dict(value, schema, loc, ctx, label)

    def _check_list(self, value, schema, loc, ctx, label):
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.errors.error(loc, f"{label}needs at least {plural(schema['minItems'], 'item', 'items')}", ctx)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.errors.error(loc, f"{label}allows at most {plural(schema['maxItems'], 'item', 'items')}", ctx)
        if "items" in schema:
            for i, item in enumerate(value):
                iloc = value.item_loc(i) if isinstance(value, LList) else loc
                self._check(item, schema["items"], iloc, ctx, f"{label.strip()} item {i + 1}".strip())

    def _check_dict(self, value, schema, loc, ctx, label):
        if "x-context" in schema and isinstance(value.get("name"), str):
            here = f"{schema['x-context']} '{show(value['name'])}'"
            ctx = f"{ctx}, {here}" if ctx else f"In {here}"
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                self.errors.error(loc, f"missing required key '{key}'", ctx)
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            self.errors.error(loc, f"{label}needs at least {plural(schema['minProperties'], 'entry', 'entries')}", ctx)
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key, item in value.items():
            kloc = value.key_loc(key) if isinstance(value, LDict) else loc
            vloc = value.val_loc(key) if isinstance(value, LDict) else loc
            if names is not None and "pattern" in names and not re.fullmatch(names["pattern"], key):
                hint = names.get("x-pattern-hint", f"match {names['pattern']}")
                self.errors.error(kloc, f"{label}key '{show(key)}' must {hint}", ctx)
            if key in props:
                self._check(item, props[key], vloc, ctx, f"'{key}'")
            elif extra is False:
                known = ", ".join(sorted(props))
                self.errors.error(kloc, f"unknown key '{show(key)}' (expected one of: {known})", ctx)
            elif isinstance(extra, dict):
                self._check(item, extra, vloc, ctx, f"'{show(key)}'")


class _Sink:
    def __init__(self):
        self.errors = []

    def error(self, *_args):
        self.errors.append(_args)
