"""Per-backend spec tables under spec/arch/<arch>/: hardware exit codes and
their routing (hwexits), and guest calls (calls), both checked against the
generic exit kinds of exits.yaml; and system registers (sysregs), where a VMX
VMCS encoding is also checked against what its bits say (width, type)."""
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


# How generated code reaches a register (sysregs 'accessor'). One table holds
# the accessors of one family; 'label' names the lookup of a register space
# that is not the table's own (e.g. axv_x86_64_msr_name).
ACCESSORS = {
    "aarch64_sysreg": Obj(family="aarch64", label="sysreg"),
    "riscv_csr": Obj(family="riscv", label="csr"),
    "vmx_vmcs": Obj(family="x86", label="vmcs"),
    "msr": Obj(family="x86", label="msr"),
    "none": Obj(family=None, label=None),
}


def build_sysregs(doc, file, arch, exits, col):
    """Registers with encodings and every bit accounted for: fields, RES0, RES1
    (a register with an encoding and none of them is one plain value)."""
    parts = [Obj(name=p["name"], upper=p["name"].upper(), bits=p["bits"]) for p in doc["encoding"]]
    ctx = lambda r: f"In register '{r['name']}'"  # noqa: E731
    _unique(doc["registers"], "name", "name", col, ctx)
    table_accessor = doc["accessor"]
    regs, by_enc = [], {}
    for r in doc["registers"]:
        width = r.get("width", 64)
        enc = r.get("enc")
        accessor = _register_accessor(r, table_accessor, col, ctx(r))
        if enc is not None:
            if len(enc) != len(parts):
                col.error(r.val_loc("enc"), f"encoding has {len(enc)} part(s), the table's encoding {len(parts)} "
                                            f"({', '.join(p.name for p in parts)})", ctx(r))
                enc = None
            else:
                for p, v in zip(parts, enc):
                    if v >= 1 << p.bits:
                        col.error(r.val_loc("enc"), f"{p.name} = {v} does not fit {p.bits} bits", ctx(r))
                key = (accessor, tuple(enc))  # each accessor is its own register space
                if key in by_enc:
                    col.error(r.val_loc("enc"), f"encoding {list(key[1])} already used by '{by_enc[key]}'", ctx(r))
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
        # A register with an encoding and no fields, RES0 or RES1 is one plain value.
        plain = "enc" in r and not r.get("fields") and "res0" not in r and "res1" not in r
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
            if missing and not plain:
                col.error(r.loc, f"bit(s) {_ranges_text(missing)} are neither a field nor RES0/RES1 "
                                 "(every bit must be accounted for; 'res0: rest' says the rest is RES0)", ctx(r))
        reg = Obj(name=r["name"], upper=r["name"].upper(), enc=enc, width=width, access=r.get("access", "rw"),
                  accessor=accessor, plain=plain, vmcs=None, doc=r["doc"], fields=fields, res0=_mask(res0),
                  res1=_mask(res1), loc=r.loc, src=r)
        if accessor == "vmx_vmcs" and enc is not None and len(parts) == 1:
            reg.vmcs = _vmcs_field(r, enc[0], col, ctx(r))
            if reg.vmcs:
                reg.access = reg.vmcs.access
        regs.append(reg)
    x86 = sorted({r.accessor for r in regs if r.enc is not None} & {"vmx_vmcs", "msr"})
    if x86 and [p.bits for p in parts] != [32]:
        col.error(doc.val_loc("encoding"), f"{' and '.join(x86)} registers are keyed by one 32-bit number (a VMCS "
                                           "field encoding or an MSR index): give the table one encoding part "
                                           "of 32 bits")
    _check_vmcs_high_halves(regs, col, ctx)
    _check_macro_names(regs, arch, col, ctx)
    accessors = [table_accessor] + sorted({r.accessor for r in regs if r.enc is not None} - {table_accessor})
    spaces = [Obj(accessor=acc, fn="sysreg" if acc == table_accessor else ACCESSORS[acc].label,
                  registers=[r for r in regs if r.enc is not None and r.accessor == acc])
              for acc in accessors]
    return Obj(file=file, arch=arch, accessor=table_accessor, accessors=accessors, spaces=spaces, parts=parts,
               registers=regs)


def _register_accessor(r, table_accessor, col, ctx):
    """A register's own 'accessor' (e.g. msr in a vmx_vmcs table), else the table's."""
    if "accessor" not in r:
        return table_accessor
    acc = r["accessor"]
    if "enc" not in r:
        col.error(r.key_loc("accessor"), "a layout (no 'enc') has no accessor", ctx)
        return table_accessor
    family = ACCESSORS[table_accessor].family
    if acc != table_accessor and (family is None or ACCESSORS[acc].family != family):
        same = [a for a, info in ACCESSORS.items() if family is not None and info.family == family]
        col.error(r.val_loc("accessor"), f"accessor '{acc}' does not go with the table's accessor '{table_accessor}' "
                                         f"(one table holds one architecture's registers: "
                                         f"{', '.join(same) or 'no other accessor'})", ctx)
    return acc


# ------------------------------------------------ VMX VMCS field encodings
# Intel SDM Vol. 3, Appendix B / "Structure of VMCS Component Encoding":
# bit 0 access type (1 = high 32 bits of a 64-bit field), 9:1 index,
# 11:10 type, 12 reserved, 14:13 width, 31:15 reserved.
VMCS_WIDTHS = {0: 16, 1: 64, 2: 32, 3: 64}
_VMCS_WIDTH_TEXT = {0: "16-bit", 1: "64-bit", 2: "32-bit", 3: "natural-width"}
VMCS_TYPES = {0: "control", 1: "read-only data", 2: "guest-state", 3: "host-state"}


def _vmcs_field(r, enc, col, ctx):
    """Width, type and access type a VMCS encoding carries, checked against the
    register's declared width, access and name; None if the encoding is unusable."""
    reserved = [b for b in range(32) if enc >> b & 1 and (b == 12 or b >= 15)]
    if reserved:
        col.error(r.val_loc("enc"), f"VMCS encoding {enc:#06x} sets reserved bit(s) {_ranges_text(reserved)} "
                                    "(only 14:13 width, 11:10 type, 9:1 index and 0 access type are defined)", ctx)
        return None
    wcode, tcode, high = enc >> 13 & 3, enc >> 10 & 3, bool(enc & 1)
    where = f"VMCS encoding {enc:#06x}"
    if high and wcode != 1:
        col.error(r.val_loc("enc"), f"{where} sets bit 0 (access type high), but bits 14:13 = {wcode} make it a "
                                    f"{_VMCS_WIDTH_TEXT[wcode]} field: only 64-bit fields have a high half", ctx)
        return None
    width = 32 if high else VMCS_WIDTHS[wcode]
    why = "bit 0 = 1: the high 32 bits of a 64-bit field" if high else \
        f"bits 14:13 = {wcode}: {_VMCS_WIDTH_TEXT[wcode]}{', 64 bits on x86_64' if wcode == 3 else ''}"
    if "width" not in r:
        col.error(r.loc, f"a VMCS field needs 'width: {width}' ({where}, {why})", ctx)
    elif r["width"] != width:
        col.error(r.val_loc("width"), f"width {r['width']} does not match {where} ({why}); declare width {width}", ctx)
    name, tname = r["name"], VMCS_TYPES[tcode]
    types = f"bits 11:10 = {tcode} make it a {tname} field"
    if name.startswith("host_") and tcode != 3:
        col.error(r.val_loc("name"), f"name '{name}' says host state, but {where} {types}", ctx)
    elif tcode == 3 and not name.startswith("host_"):
        col.error(r.val_loc("name"), f"{where} {types}: its name must start with 'host_'", ctx)
    elif name.startswith("guest_") and tcode in (0, 3):
        col.error(r.val_loc("name"), f"name '{name}' says guest state, but {where} {types}", ctx)
    access = "ro" if tcode == 1 else "rw"
    if r.get("access", access) != access:
        what = "(VM-exit information, read-only)" if access == "ro" else "(VMREAD and VMWRITE both reach it)"
        col.error(r.val_loc("access"), f"access '{r['access']}' does not match {where}: {types} {what}; "
                                       f"declare '{access}' or leave 'access' out", ctx)
    return Obj(width=width, type=tcode, type_name=tname, high=high, access=access, enc=enc)


def _check_vmcs_high_halves(regs, col, ctx):
    """A high half (bit 0 = 1) is '<full field>_high' and its full field is in the table."""
    full = {r.vmcs.enc: r for r in regs if r.vmcs and not r.vmcs.high}
    for r in regs:
        if not r.vmcs:
            continue
        if r.vmcs.high:
            base = full.get(r.vmcs.enc & ~1)
            if base is None:
                col.error(r.src.val_loc("enc"), f"VMCS encoding {r.vmcs.enc:#06x} is the high half of "
                                                f"{r.vmcs.enc & ~1:#06x}, which no register has", ctx(r.src))
            elif r.name != f"{base.name}_high":
                col.error(r.src.val_loc("name"), f"the high half of '{base.name}' ({base.vmcs.enc:#06x}) must be "
                                                 f"named '{base.name}_high'", ctx(r.src))
        elif r.name.endswith("_high"):
            col.error(r.src.val_loc("name"), f"name '{r.name}' ends in '_high', but VMCS encoding {r.vmcs.enc:#06x} "
                                             "bit 0 = 0 makes it a full field", ctx(r.src))


# Names the sysregs header defines besides per-register ones (after AXV_<ARCH>_).
FIXED_MACROS = ("UL", "FIELD_GET", "FIELD_PREP", "GEN_SYSREGS_H", "VMCS_TYPE_CONTROL", "VMCS_TYPE_READ_ONLY",
                "VMCS_TYPE_GUEST", "VMCS_TYPE_HOST", "VMFAIL_INVALID", "VMFAIL_VALID", "VMREAD", "VMWRITE")
_ACCESSOR_MACRO = {"aarch64_sysreg": "ASM", "riscv_csr": "CSR", "vmx_vmcs": "VMCS", "msr": "MSR"}


def _check_macro_names(regs, arch, col, ctx):
    """Every macro the header defines is defined once: a register named a_b and a
    field b of register a would both make AXV_<ARCH>_A_B_WIDTH."""
    owners = {m: "the header itself" for m in FIXED_MACROS}
    for r in regs:
        made = []
        if r.enc is not None:
            made += [("KEY", "the key")]
            if r.accessor in _ACCESSOR_MACRO:
                made.append((_ACCESSOR_MACRO[r.accessor], "the encoding"))
            if r.vmcs:
                made += [("WIDTH", "the VMCS width"), ("TYPE", "the VMCS type")]
        for f in r.fields:
            made += [(f"{f.upper}_{s}", f"field '{f.name}'") for s in ("SHIFT", "WIDTH", "MASK")]
            made += [(f"{f.upper}_{v.upper}", f"value '{v.name}' of field '{f.name}'") for v in f.values]
        if not r.plain:
            made += [("RES0", "the RES0 mask"), ("RES1", "the RES1 mask")]
        for suffix, what in made:
            macro = f"{r.upper}_{suffix}"
            mine = f"{what} of register '{r.name}'"
            if macro in owners and owners[macro] != mine:
                col.error(r.loc, f"AXV_{arch.upper()}_{macro} (from {mine}) is also defined by {owners[macro]}",
                          ctx(r.src))
            owners.setdefault(macro, mine)


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
