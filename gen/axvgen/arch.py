"""Per-backend spec tables under spec/arch/<arch>/: hardware exit codes and
their routing (hwexits), and guest calls (calls). Both refer to the generic
exit kinds of exits.yaml, so they are checked against it."""
from .model import Obj

ARCH_KINDS = ("hwexits", "calls", "sysregs")
ARCH_FILE_NAMES = {"hwexits": "exits.yaml", "calls": "calls.yaml", "sysregs": "sysregs.yaml"}
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
        kind = _check_exit(c["exit"], c.val_loc("exit"), exits, col, ctx(c)) if "exit" in c else None
        calls.append(Obj(name=c["name"], upper=c["name"].upper(), id=c["id"], exit=kind, doc=c["doc"], loc=c.loc))
    constants = [Obj(name=c["name"], upper=c["name"].upper(), value=c["value"], doc=c["doc"], loc=c.loc)
                 for c in consts]
    return Obj(file=file, arch=arch, calls=sorted(calls, key=lambda c: c.id), constants=constants)


def _bits_of(rng):
    hi, lo = rng
    return set(range(lo, hi + 1))


def _mask(bits):
    return sum(1 << b for b in bits)


def build_sysregs(doc, file, arch, exits, col):
    """Registers with encodings and every bit accounted for: fields, RES0, RES1."""
    parts = [Obj(name=p["name"], upper=p["name"].upper(), bits=p["bits"]) for p in doc["encoding"]]
    ctx = lambda r: f"In register '{r['name']}'"  # noqa: E731
    _unique(doc["registers"], "name", "name", col, ctx)
    regs, by_enc = [], {}
    for r in doc["registers"]:
        width = r.get("width", 64)
        enc = r.get("enc")
        if enc is not None:
            if len(enc) != len(parts):
                col.error(r.val_loc("enc"), f"encoding has {len(enc)} part(s), the table's encoding {len(parts)} "
                                            f"({', '.join(p.name for p in parts)})", ctx(r))
                enc = None
            else:
                for p, v in zip(parts, enc):
                    if v >= 1 << p.bits:
                        col.error(r.val_loc("enc"), f"{p.name} = {v} does not fit {p.bits} bits", ctx(r))
                key = tuple(enc)
                if key in by_enc:
                    col.error(r.val_loc("enc"), f"encoding {list(key)} already used by '{by_enc[key]}'", ctx(r))
                by_enc.setdefault(key, r["name"])
        owner = {}

        def claim(bits, who, loc):
            for b in sorted(bits):
                if b >= width:
                    col.error(loc, f"{who} reaches bit {b}, beyond the register's {width} bits", ctx(r))
                    return
                if b in owner:
                    col.error(loc, f"{who} overlaps {owner[b]} at bit {b}", ctx(r))
                    return
            for b in bits:
                owner[b] = who

        fields = []
        for i, f in enumerate(r.get("fields", [])):
            hi, lo = f["bits"]
            floc = r["fields"].item_loc(i)
            if hi < lo:
                col.error(f.val_loc("bits"), f"bits [{hi}, {lo}] must be [high, low]", ctx(r))
                continue
            claim(_bits_of((hi, lo)), f"field '{f['name']}'", f.val_loc("bits"))
            values = []
            for vname, val in f.get("values", {}).items():
                if val >= 1 << (hi - lo + 1):
                    col.error(f["values"].val_loc(vname), f"value {vname} = {val} does not fit {hi - lo + 1} bit(s)",
                              f"{ctx(r)}, field '{f['name']}'")
                values.append(Obj(name=vname, upper=vname.upper(), value=val))
            fields.append(Obj(name=f["name"], upper=f["name"].upper(), hi=hi, lo=lo, width=hi - lo + 1,
                              mask=_mask(_bits_of((hi, lo))), doc=f["doc"], values=values, loc=floc))
        names = [f["name"] for f in r.get("fields", [])]
        for n in sorted({n for n in names if names.count(n) > 1}):
            col.error(r.val_loc("fields"), f"field '{n}' defined twice", ctx(r))
        res1 = set()
        for rng in r.get("res1", []):
            if rng[0] < rng[1]:
                col.error(r.val_loc("res1"), f"range [{rng[0]}, {rng[1]}] must be [high, low]", ctx(r))
                continue
            claim(_bits_of(rng), "RES1", r.val_loc("res1"))
            res1 |= _bits_of(rng)
        res0 = set()
        if r.get("res0") == "rest":
            res0 = set(range(width)) - set(owner)
        else:
            for rng in r.get("res0", []):
                if rng[0] < rng[1]:
                    col.error(r.val_loc("res0"), f"range [{rng[0]}, {rng[1]}] must be [high, low]", ctx(r))
                    continue
                claim(_bits_of(rng), "RES0", r.val_loc("res0"))
                res0 |= _bits_of(rng)
            missing = sorted(set(range(width)) - set(owner))
            if missing:
                col.error(r.loc, f"bit(s) {_ranges_text(missing)} are neither a field nor RES0/RES1 "
                                 "(every bit must be accounted for; 'res0: rest' says the rest is RES0)", ctx(r))
        regs.append(Obj(name=r["name"], upper=r["name"].upper(), enc=enc, width=width, access=r.get("access", "rw"),
                        doc=r["doc"], fields=fields, res0=_mask(res0), res1=_mask(res1), loc=r.loc))
    return Obj(file=file, arch=arch, accessor=doc["accessor"], parts=parts, registers=regs)


def _ranges_text(bits):
    """[3, 4, 5, 9] -> '5:3, 9'."""
    out, start = [], None
    for i, b in enumerate(bits):
        if start is None:
            start = b
        if i + 1 == len(bits) or bits[i + 1] != b + 1:
            out.append(f"{b}:{start}" if b != start else f"{b}")
            start = None
    return ", ".join(out)


BUILDERS = {"hwexits": build_hwexits, "calls": build_calls, "sysregs": build_sysregs}


def build_arches(arch_docs, exits, col):
    """arch_docs: {(arch, kind): (doc, path)} -> [Obj(name, hwexits, calls)]."""
    arches = {}
    for (arch, kind), (doc, path) in sorted(arch_docs.items()):
        a = arches.setdefault(arch, Obj(name=arch, upper=arch.upper(), hwexits=None, calls=None, sysregs=None))
        setattr(a, kind, BUILDERS[kind](doc, path, arch, exits, col))
    return list(arches.values())
