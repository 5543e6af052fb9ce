"""Loading the spec: the three core files and the per-arch tables under
spec/arch/<arch>/; locate, shape-check, meaning-check."""
import glob
import os

from .diag import Collector, Loc, SpecError, describe, show
from .loader import LDict, load
from .arch import ARCH_FILE_NAMES, ARCH_KINDS, build_arches
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
    kinds = {f"schema/{k}.schema.json": k for k in FILES + ARCH_KINDS}
    if not isinstance(ref, str):
        raise SpecError(doc.val_loc("schema"), f"'schema' must be a string such as schema/exits.schema.json, "
                                               f"not {describe(ref)}")
    if ref not in kinds:
        raise SpecError(doc.val_loc("schema"), f"unknown schema '{show(ref)}' (expected one of: {', '.join(sorted(kinds))})")
    return kinds[ref]


def _arch_of(doc, path):
    """The arch an arch table belongs to: its `arch:` key, which must match its folder."""
    arch = doc.get("arch")
    if not isinstance(arch, str):
        raise SpecError(doc.key_loc("arch") if "arch" in doc else doc.loc,
                        "an arch table needs 'arch: <name>' (the folder under spec/arch/)")
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    parent = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    if parent == "arch" and folder != arch:
        raise SpecError(doc.val_loc("arch"), f"'arch: {show(arch)}' in a file under spec/arch/{folder}/")
    return arch


def _load_docs(spec_dir, overrides):
    """{kind: (doc, path)} for the core files, {(arch, kind): (doc, path)} for arch tables."""
    docs, arch_docs = {}, {}

    def add(doc, path, overriding):
        kind = _schema_ref(doc, path)
        key = (_arch_of(doc, path), kind) if kind in ARCH_KINDS else kind
        table = arch_docs if kind in ARCH_KINDS else docs
        if key in table:
            what = f"the {key[1]} table of arch '{key[0]}'" if kind in ARCH_KINDS else f"{kind}.yaml"
            by = "overridden by" if overriding else "also given by"
            raise SpecError(doc.val_loc("schema"), f"{what} is already {by} {table[key][1]}")
        table[key] = (doc, path)

    for path in overrides:
        add(load(path), path, True)
    for kind in FILES:
        path = os.path.join(spec_dir, f"{kind}.yaml")
        if kind not in docs:
            doc = load(path)
            if _schema_ref(doc, path) != kind:
                raise SpecError(doc.val_loc("schema"), f"{path} must use schema/{kind}.schema.json")
            docs[kind] = (doc, path)
    for path in sorted(glob.glob(os.path.join(spec_dir, "arch", "*", "*.yaml"))):
        doc = load(path)
        kind = _schema_ref(doc, path)
        if kind not in ARCH_KINDS:
            raise SpecError(doc.val_loc("schema"), f"files under spec/arch/ are arch tables "
                                                   f"({', '.join(ARCH_KINDS)}), not {kind}")
        # The build finds generated sources by these names (Makefile).
        want = ARCH_FILE_NAMES[kind]
        if os.path.basename(path) != want:
            raise SpecError(doc.val_loc("schema"), f"a {kind} table must be named {want}")
        if (_arch_of(doc, path), kind) not in arch_docs:
            add(doc, path, False)
    return docs, arch_docs


def load_spec(spec_dir, overrides=(), previous=None):
    docs, arch_docs = _load_docs(spec_dir, overrides)
    col = Collector()
    shaped = [(kind, doc) for kind, (doc, _p) in docs.items()]
    shaped += [(kind, doc) for (_a, kind), (doc, _p) in arch_docs.items()]
    for kind, doc in shaped:
        schema_path = os.path.join(spec_dir, "schema", f"{kind}.schema.json")
        Checker(load_schema(schema_path, schema_path), col).check(doc, doc.loc)
    col.raise_if_any()
    builders = {"errors": build_errors, "vcpu": build_vcpu, "exits": build_exits}
    parts = {k: builders[k](docs[k][0], docs[k][1], col) for k in FILES}
    col.raise_if_any()
    model = Obj(**parts, arches=[], files={k: docs[k][1] for k in FILES})
    if previous:
        # Released numbers first: the arch tables below refer to these names.
        prev = load_spec(previous)
        check_previous(model, prev, col)
        col.raise_if_any()
    model.arches = build_arches(arch_docs, parts["exits"], col)
    col.raise_if_any()
    return model
