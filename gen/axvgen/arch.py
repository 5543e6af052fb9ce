"""Per-backend spec tables under spec/arch/<arch>/: hardware exit codes and
their routing (hwexits), and guest calls (calls). Both refer to the generic
exit kinds of exits.yaml, so they are checked against it."""
from .model import Obj

ARCH_KINDS = ("hwexits", "calls")
ARCH_FILE_NAMES = {"hwexits": "exits.yaml", "calls": "calls.yaml"}
# Routes every table has without declaring them.
RESERVED_ROUTES = frozenset({"direct"})


def _check_exit(name, loc, exits, col, ctx, payloadless=False):
    kind = exits.by_name.get(name)
    if kind is None:
        col.error(loc, f"unknown exit kind '{name}' (not in {exits.file})", ctx)
        return None
    if payloadless and kind.fields:
        col.error(loc, f"exit '{name}' has a payload, so it needs a route that fills it", ctx)
        return None
    return kind


def _unique(items, key, what, col, ctx_of):
    seen = {}
    for i, it in enumerate(items):
        v = it[key]
        if v in seen:
            col.error(it.val_loc(key), f"{what} {v} already used by '{items[seen[v]]['name']}'", ctx_of(it))
        else:
            seen[v] = i


def build_hwexits(doc, file, arch, exits, col):
    width = doc.get("width", 32)
    codes_doc = doc["codes"]
    ctx = lambda c: f"In code '{c['name']}'"  # noqa: E731
    _unique(codes_doc, "name", "name", col, ctx)
    _unique(codes_doc, "value", "value", col, ctx)
    sources = dict(next((f.names for f in exits.raw if f.name == "source"), []) or [])
    if doc["source"] not in sources:
        col.error(doc.val_loc("source"), f"'{doc['source']}' is not a raw.source value of {exits.file} "
                                         f"(one of: {', '.join(sources) or 'none'})")
    codes, routes = [], []
    for c in codes_doc:
        if c["value"] >= 1 << width:
            col.error(c.val_loc("value"), f"value {c['value']} does not fit {width} bits", ctx(c))
        has_route, has_exit = "route" in c, "exit" in c
        if has_route == has_exit:
            col.error(c.loc, "give either 'route' (a decoder) or 'exit' (a payload-less exit kind)", ctx(c))
            continue
        produces = []
        if has_exit:
            if "produces" in c:
                col.error(c.key_loc("produces"), "'produces' goes with 'route'; 'exit' already says it", ctx(c))
            kind = _check_exit(c["exit"], c.val_loc("exit"), exits, col, ctx(c), payloadless=True)
            produces = [kind] if kind else []
            route = "direct"
        else:
            route = c["route"]
            if route in RESERVED_ROUTES:
                col.error(c.val_loc("route"), f"route '{route}' is reserved for 'exit:' rows", ctx(c))
            if "produces" not in c:
                col.error(c.loc, "a route must list the exits it 'produces' (may be [])", ctx(c))
            for j, name in enumerate(c.get("produces", [])):
                kind = _check_exit(name, c["produces"].item_loc(j), exits, col, ctx(c))
                if kind:
                    produces.append(kind)
            if route not in routes:
                routes.append(route)
        codes.append(Obj(name=c["name"], upper=c["name"].upper(), value=c["value"], route=route,
                         exit=produces[0] if has_exit and produces else None, produces=produces,
                         doc=c["doc"], loc=c.loc))
    # Unhandled first (value 0): what codes the table does not list take.
    routes = ["unhandled", "direct"] + [r for r in routes if r != "unhandled"]
    codes.sort(key=lambda c: c.value)
    dense = not codes or codes[-1].value < 512
    return Obj(file=file, arch=arch, source=doc["source"], width=width, codes=codes,
               routes=routes, dense=dense, limit=(codes[-1].value + 1) if codes else 0)


def build_calls(doc, file, arch, exits, col):
    ctx = lambda c: f"In call '{c['name']}'"  # noqa: E731
    _unique(doc["calls"], "name", "name", col, ctx)
    _unique(doc["calls"], "id", "id", col, ctx)
    consts = doc.get("constants", [])
    _unique(consts, "name", "name", col, lambda c: f"In constant '{c['name']}'")
    calls = []
    for c in doc["calls"]:
        kind = _check_exit(c["exit"], c.val_loc("exit"), exits, col, ctx(c))
        calls.append(Obj(name=c["name"], upper=c["name"].upper(), id=c["id"], exit=kind, doc=c["doc"], loc=c.loc))
    constants = [Obj(name=c["name"], upper=c["name"].upper(), value=c["value"], doc=c["doc"], loc=c.loc)
                 for c in consts]
    return Obj(file=file, arch=arch, calls=sorted(calls, key=lambda c: c.id), constants=constants)


BUILDERS = {"hwexits": build_hwexits, "calls": build_calls}


def build_arches(arch_docs, exits, col):
    """arch_docs: {(arch, kind): (doc, path)} -> [Obj(name, hwexits, calls)]."""
    arches = {}
    for (arch, kind), (doc, path) in sorted(arch_docs.items()):
        a = arches.setdefault(arch, Obj(name=arch, upper=arch.upper(), hwexits=None, calls=None))
        setattr(a, kind, BUILDERS[kind](doc, path, arch, exits, col))
    return list(arches.values())
