"""Loading the three spec files: locate, shape-check, meaning-check."""
import os

from .diag import Collector, Loc, SpecError, describe, show
from .loader import LDict, load
from .model import Obj, build_errors, build_exits, build_vcpu, check_previous
from .schema import Checker, load_schema

FILES = ("errors", "vcpu", "exits")


def _schema_ref(doc, display):
    """Which schema a document names: decides its kind and its shape."""
    if not isinstance(doc, LDict):
        raise SpecError(getattr(doc, "loc", Loc(display, 1, 1)), "a spec file must be a mapping at top level")
    ref = doc.get("schema")
    if ref is None:
        raise SpecError(doc.loc, "missing required key 'schema' (e.g. schema: schema/exits.schema.json)")
    kinds = {f"schema/{k}.schema.json": k for k in FILES}
    if not isinstance(ref, str):
        raise SpecError(doc.val_loc("schema"), f"'schema' must be a string such as schema/exits.schema.json, "
                                               f"not {describe(ref)}")
    if ref not in kinds:
        raise SpecError(doc.val_loc("schema"), f"unknown schema '{show(ref)}' (expected one of: {', '.join(sorted(kinds))})")
    return kinds[ref]


def _load_docs(spec_dir, overrides):
    paths = {k: os.path.join(spec_dir, f"{k}.yaml") for k in FILES}
    docs = {}
    for path in overrides:
        doc = load(path)
        kind = _schema_ref(doc, path)
        if kind in docs:
            raise SpecError(doc.val_loc("schema"), f"{kind}.yaml is already overridden by {docs[kind][1]}")
        docs[kind] = (doc, path)
    for kind, path in paths.items():
        if kind not in docs:
            doc = load(path)
            got = _schema_ref(doc, path)
            if got != kind:
                raise SpecError(doc.val_loc("schema"), f"{path} must use schema/{kind}.schema.json")
            docs[kind] = (doc, path)
    return docs


def load_spec(spec_dir, overrides=(), previous=None):
    docs = _load_docs(spec_dir, overrides)
    col = Collector()
    for kind, (doc, _path) in docs.items():
        schema_path = os.path.join(spec_dir, "schema", f"{kind}.schema.json")
        Checker(load_schema(schema_path, schema_path), col).check(doc, doc.loc)
    col.raise_if_any()
    builders = {"errors": build_errors, "vcpu": build_vcpu, "exits": build_exits}
    parts = {k: builders[k](docs[k][0], docs[k][1], col) for k in FILES}
    col.raise_if_any()
    model = Obj(**parts, files={k: docs[k][1] for k in FILES})
    if previous:
        prev = load_spec(previous)
        check_previous(model, prev, col)
        col.raise_if_any()
    return model
