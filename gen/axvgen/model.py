"""Meaning checks and the model the templates render.

Shape (types, keys) was already checked against the JSON Schema; here we check
what a schema cannot say: uniqueness, references, completeness of the state
matrix, reachability, value ranges that depend on a field's type.
"""

C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum extern
float for goto if inline int long register restrict return short signed sizeof static struct
switch typedef union unsigned void volatile while bool true false _Bool""".split())

# Names the generator itself uses in the exit namespace (struct axv_exit_<name>,
# axv_exit_<name>_...): an exit or field with one of these names would collide.
RESERVED_EXIT_NAMES = frozenset({"raw", "kind", "field", "fields", "field_desc", "kind_desc", "read_shape",
                                 "validate", "format", "name", "names", "count", "make", "desc"})
# Members of struct axv_exit, and the constructor's own parameter and loop index
# (axv_exit_make_<exit>(struct axv_exit *e, <fields>) { for (size_t i ...) }).
RESERVED_FIELD_NAMES = frozenset({"kind", "raw", "u", "e", "i"})
# AXV_VCPU_<STATE> shares its prefix with the runtime's own AXV_VCPU_* macros.
RESERVED_STATE_NAMES = frozenset({"reject", "count", "busy", "no_state", "state_mask", "initial_state",
                                  "arch_failure_state", "h"})
# AXV_TP_<EVENT> shares its prefix with AXV_TP_EXIT_<EXIT> and the trace macros.
RESERVED_EVENT_NAMES = frozenset({"count", "create", "first_exit", "mask_words"})
RESERVED_EVENT_PREFIX = "exit_"

# Errors, states, events and arch ops the hand-written runtime uses by name.
RUNTIME_ERRORS = ("bad_state", "invalid_input", "invalid_data", "resource_busy",
                  "unsupported", "no_memory", "in_progress", "already_exists")
RUNTIME_STATES = ("ready", "running")
RUNTIME_EVENTS = ("setup", "bind", "unbind", "run", "block", "unblock", "destroy",
                  "set_entry", "set_gpr", "set_return_value", "inject_interrupt")
RUNTIME_ARCH_OPS = ("set_entry", "set_npt", "setup", "bind", "unbind", "run", "set_gpr",
                    "inject_interrupt", "set_return_value", "destroy")


class FieldType:
    def __init__(self, name, ctype, bits, fmt):
        self.name, self.ctype, self.bits, self.fmt = name, ctype, bits, fmt

    @property
    def max(self):
        return (1 << self.bits) - 1


TYPES = {t.name: t for t in (
    FieldType("u8", "uint8_t", 8, "dec"),
    FieldType("u16", "uint16_t", 16, "dec"),
    FieldType("u32", "uint32_t", 32, "dec"),
    FieldType("u64", "uint64_t", 64, "hex"),
    FieldType("bool", "bool", 1, "bool"),
    FieldType("gpa", "uint64_t", 64, "hex"),
    FieldType("hpa", "uint64_t", 64, "hex"),
    FieldType("gva", "uint64_t", 64, "hex"),
    FieldType("access_width", "uint8_t", 8, "dec"),
    FieldType("port", "uint16_t", 16, "hex"),
    FieldType("sysreg", "uint32_t", 32, "hex"),
    FieldType("flags", "uint32_t", 32, "flags"),
)}
ACCESS_WIDTHS = (1, 2, 4, 8)


class Obj:
    """A plain record; templates read attributes."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _upper(name):
    return name.upper()


# --------------------------------------------------------------------- errors
def build_errors(doc, file, col):
    ctx = lambda e: f"In error '{e['name']}'"  # noqa: E731
    errors, by_name, by_value = [], {}, {}
    errnos = doc["errnos"]
    for i, e in enumerate(doc["errors"]):
        loc = doc["errors"].item_loc(i)
        if e["name"] == "ok":
            col.error(e.val_loc("name"), "'ok' is reserved for AXV_OK (success)", ctx(e))
        if e["name"] in by_name:
            col.error(e.val_loc("name"), f"duplicate error name (first at line {by_name[e['name']].loc.line})", ctx(e))
            continue
        if e["value"] in by_value:
            other = by_value[e["value"]]
            col.error(e.val_loc("value"), f"value {e['value']} already used by error '{other.name}'", ctx(e))
        if e["errno"] not in errnos:
            col.error(e.val_loc("errno"), f"unknown errno '{e['errno']}' (not listed under errnos)", ctx(e))
        item = Obj(name=e["name"], upper=_upper(e["name"]), value=e["value"], errno=e["errno"],
                   errno_value=errnos.get(e["errno"], 0), message=e["message"], loc=loc,
                   value_loc=e.val_loc("value"))
        by_name[item.name] = item
        by_value.setdefault(item.value, item)
        errors.append(item)
    _require(RUNTIME_ERRORS, by_name, "error", doc.key_loc("errors"), col)
    return Obj(file=file, errors=sorted(errors, key=lambda e: e.value), by_name=by_name,
               max_value=max((e.value for e in errors), default=0), loc=doc.key_loc("errors"))


def _require(names, have, what, loc, col):
    for need in names:
        if need not in have:
            col.error(loc, f"the runtime needs {what} '{need}', which is missing")


# ----------------------------------------------------------------------- vcpu
def build_vcpu(doc, file, col):
    states, sby_name, sby_value = [], {}, {}
    for i, s in enumerate(doc["states"]):
        ctx = f"In state '{s['name']}'"
        if s["name"] in RESERVED_STATE_NAMES:
            col.error(s.val_loc("name"), f"'{s['name']}' is reserved by the generator", ctx)
        if s["name"] in sby_name:
            col.error(s.val_loc("name"), f"duplicate state name (first at line {sby_name[s['name']].loc.line})", ctx)
            continue
        if s["value"] in sby_value:
            col.error(s.val_loc("value"), f"value {s['value']} already used by state '{sby_value[s['value']].name}'", ctx)
        st = Obj(name=s["name"], upper=_upper(s["name"]), value=s["value"], doc=s["doc"],
                 terminal=bool(s.get("terminal", False)), loc=doc["states"].item_loc(i),
                 value_loc=s.val_loc("value"))
        sby_name[st.name] = st
        sby_value.setdefault(st.value, st)
        states.append(st)

    ops, oby_name = [], {}
    for i, o in enumerate(doc["arch_ops"]):
        if o["name"] in oby_name:
            col.error(o.val_loc("name"), "duplicate arch op", f"In arch op '{o['name']}'")
            continue
        op = Obj(name=o["name"], upper=_upper(o["name"]), index=len(ops), doc=o["doc"],
                 loc=doc["arch_ops"].item_loc(i))
        oby_name[op.name] = op
        ops.append(op)

    for key in ("initial", "arch_failure"):
        if doc[key] not in sby_name:
            col.error(doc.val_loc(key), f"'{key}' names unknown state '{doc[key]}'")

    events, eby_name, used_ops = [], {}, set()
    for i, e in enumerate(doc["events"]):
        ctx = f"In event '{e['name']}'"
        if e["name"] in RESERVED_EVENT_NAMES:
            col.error(e.val_loc("name"), f"'{e['name']}' is reserved by the generator", ctx)
        elif e["name"].startswith(RESERVED_EVENT_PREFIX):
            col.error(e.val_loc("name"), f"event names starting with '{RESERVED_EVENT_PREFIX}' are reserved "
                                         "for exit trace points (AXV_TP_EXIT_...)", ctx)
        if e["name"] in eby_name:
            col.error(e.val_loc("name"), f"duplicate event name (first at line {eby_name[e['name']].loc.line})", ctx)
            continue
        eops = []
        for j, name in enumerate(e.get("arch_ops", [])):
            if name not in oby_name:
                col.error(e["arch_ops"].item_loc(j), f"unknown arch op '{name}'", ctx)
            elif oby_name[name] in eops:
                col.error(e["arch_ops"].item_loc(j), f"arch op '{name}' listed twice", ctx)
            else:
                eops.append(oby_name[name])
                used_ops.add(name)
        during = e.get("during")
        if during is not None and during not in sby_name:
            col.error(e.val_loc("during"), f"'during' names unknown state '{during}'", ctx)
        if "arch_failure" in e and not eops:
            col.error(e.key_loc("arch_failure"), "'arch_failure' given but the event calls no arch op", ctx)
        if during is not None and e.get("exclusive") is False:
            col.error(e.key_loc("during"), "an event with a 'during' state is exclusive by nature", ctx)
        ev = Obj(name=e["name"], upper=_upper(e["name"]), index=len(events), doc=e["doc"], ops=eops,
                 on_cpu=bool(e.get("on_cpu", False)), during=during,
                 exclusive=bool(e.get("exclusive", True)),
                 keep_on_failure=e.get("arch_failure", "invalid") == "keep",
                 loc=doc["events"].item_loc(i))
        eby_name[ev.name] = ev
        events.append(ev)
    for op in ops:
        if op.name not in used_ops:
            col.error(op.loc, f"arch op '{op.name}' is not used by any event")
    _require(RUNTIME_STATES, sby_name, "state", doc.key_loc("states"), col)
    _require(RUNTIME_ARCH_OPS, oby_name, "arch op", doc.key_loc("arch_ops"), col)
    _require(RUNTIME_EVENTS, eby_name, "event", doc.key_loc("events"), col)

    matrix = _build_matrix(doc, states, sby_name, events, eby_name, col)
    if not col.errors:
        _check_graph(doc, states, sby_name, events, matrix, col)
    return Obj(file=file, states=sorted(states, key=lambda s: s.value), events=events, ops=ops,
               matrix=matrix, initial=sby_name.get(doc["initial"]),
               arch_failure=sby_name.get(doc["arch_failure"]), state_by_name=sby_name,
               event_by_name=eby_name, loc=doc.key_loc("states"))


def _build_matrix(doc, states, sby_name, events, eby_name, col):
    trans = doc["transitions"]
    matrix = {}
    for sname, row in trans.items():
        if sname not in sby_name:
            col.error(trans.key_loc(sname), f"transitions given for unknown state '{sname}'")
            continue
        ctx = f"In transitions of state '{sname}'"
        for ename, target in row.items():
            if ename not in eby_name:
                col.error(row.key_loc(ename), f"unknown event '{ename}'", ctx)
                continue
            if target != "reject" and target not in sby_name:
                col.error(row.val_loc(ename), f"'{target}' is neither a state nor 'reject'", ctx)
                continue
            matrix[(sname, ename)] = Obj(state=sby_name[sname], event=eby_name[ename],
                                         target=None if target == "reject" else sby_name[target],
                                         loc=row.key_loc(ename))
        missing = [e.name for e in events if e.name not in row]
        if missing:
            pairs = ", ".join(f"({sname}, {e})" for e in missing)
            col.error(trans.key_loc(sname),
                      f"matrix gap: no entry for the pair(s) {pairs}; give a target state or reject", ctx)
    missing_rows = [s.name for s in states if s.name not in trans]
    if missing_rows:
        pairs = ", ".join(f"({s}, *)" for s in missing_rows)
        col.error(doc.key_loc("transitions"),
                  f"matrix gap: no transitions for state(s) {', '.join(missing_rows)}; missing pairs {pairs}")
    return matrix


def _check_graph(doc, states, sby_name, events, matrix, col):
    # Edges: declared targets, the 'during' state of allowed events, and the
    # arch-failure state for every allowed event that can fail in the backend.
    edges = {s.name: set() for s in states}
    for (sname, _), t in matrix.items():
        if t.target is None:
            continue
        edges[sname].add(t.target.name)
        if t.event.during:
            # The vCPU sits in 'during' while the arch op runs, then leaves it.
            edges[sname].add(t.event.during)
            edges[t.event.during].add(t.target.name)
            edges[t.event.during].add(doc["arch_failure"])
        if t.event.ops and not t.event.keep_on_failure:
            edges[sname].add(doc["arch_failure"])
    seen, todo = set(), [doc["initial"]]
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        todo.extend(edges[s])
    for s in states:
        if s.name not in seen:
            col.error(s.loc, f"state '{s.name}' is unreachable from the initial state '{doc['initial']}'")
        out = edges[s.name] - {s.name}
        if s.terminal:
            for (sn, en), t in matrix.items():
                if sn == s.name and t.target and t.target.name != s.name:
                    col.error(t.loc, f"terminal state '{s.name}' must not be left, but '{en}' goes to "
                                     f"'{t.target.name}'", f"In transitions of state '{s.name}'")
        if not s.terminal and not out:
            col.error(s.loc, f"state '{s.name}' has no way out and is not declared terminal")
    for e in events:
        allowed = [t for (sn, en), t in matrix.items() if en == e.name and t.target is not None]
        if not allowed:
            col.error(e.loc, f"event '{e.name}' is rejected in every state")


# ---------------------------------------------------------------------- exits
def _build_field(f, loc, ctx, col):
    ftype = TYPES[f["type"]]
    fctx = f"{ctx}, field '{f['name']}'" if ctx else f"In field '{f['name']}'"
    if f["name"] in C_KEYWORDS:
        col.error(f.val_loc("name"), f"'{f['name']}' is a C keyword", fctx)
    if f["name"] in RESERVED_FIELD_NAMES:
        col.error(f.val_loc("name"), f"'{f['name']}' is reserved by the generator", fctx)
    rng, allowed, names, flags = None, None, None, None
    if "range" in f and "values" in f:
        col.error(f.key_loc("values"), "give either 'range' or 'values', not both", fctx)
    if "range" in f:
        if ftype.fmt in ("bool", "flags"):
            col.error(f.key_loc("range"), f"'range' does not apply to type {ftype.name}", fctx)
        lo, hi = f["range"]
        if lo > hi:
            col.error(f.val_loc("range"), f"empty range [{lo}, {hi}]", fctx)
        elif hi > ftype.max:
            col.error(f.val_loc("range"), f"range end {hi} does not fit type {ftype.name}", fctx)
        rng = (lo, hi)
    if "values" in f:
        vals = f["values"]
        if ftype.fmt in ("bool", "flags"):
            col.error(f.key_loc("values"), f"'values' does not apply to type {ftype.name}", fctx)
        if isinstance(vals, dict):
            if ftype.name == "access_width":
                col.error(f.key_loc("values"), "access widths take a list of sizes, not names", fctx)
            names = list(vals.items())
            numbers = [v for _, v in names]
        else:
            numbers = list(vals)
        for v in numbers:
            if v > ftype.max:
                col.error(f.val_loc("values"), f"value {v} does not fit type {ftype.name}", fctx)
            elif ftype.name == "access_width" and v not in ACCESS_WIDTHS:
                col.error(f.val_loc("values"), f"{v} is not an access width (1, 2, 4 or 8)", fctx)
        dups = sorted({v for v in numbers if numbers.count(v) > 1})
        if dups:
            col.error(f.val_loc("values"), f"value {dups[0]} listed twice", fctx)
        allowed = sorted(set(numbers))
    if ftype.name == "flags" and "flags" not in f:
        col.error(loc, "a field of type flags needs a 'flags' table", fctx)
    if "flags" in f:
        if ftype.name != "flags":
            col.error(f.key_loc("flags"), f"'flags' only applies to type flags, not {ftype.name}", fctx)
        seen = 0
        for name, bit in f["flags"].items():
            bloc = f["flags"].val_loc(name)
            if bit & (bit - 1):
                col.error(bloc, f"flag '{name}' = {bit} is not a single bit", fctx)
            elif bit > ftype.max:
                col.error(bloc, f"flag '{name}' = {bit} does not fit {ftype.bits} bits", fctx)
            elif seen & bit:
                col.error(bloc, f"flag '{name}' reuses bit {bit}", fctx)
            seen |= bit
        flags = list(f["flags"].items())
    if ftype.name == "access_width" and allowed is None:
        allowed = list(ACCESS_WIDTHS)
    return Obj(name=f["name"], upper=_upper(f["name"]), type=ftype, ctype=ftype.ctype,
               count=f.get("count", 1), is_array="count" in f, doc=f["doc"], range=rng,
               allowed=allowed, names=names, flags=flags, loc=loc)


def _build_fields(items, ctx, col):
    fields, seen = [], {}
    for i, f in enumerate(items):
        if f["name"] in seen:
            col.error(f.val_loc("name"), f"duplicate field name (first at line {seen[f['name']].line})",
                      f"{ctx}, field '{f['name']}'" if ctx else None)
            continue
        seen[f["name"]] = items.item_loc(i)
        fields.append(_build_field(f, items.item_loc(i), ctx, col))
    return fields


COMPLETION_TYPES = {"width": ("access_width",), "reg_width": ("access_width",),
                    "sign_extend": ("bool",), "reg": ("u8", "u16", "u32")}


def build_exits(doc, file, col):
    raw = _build_fields(doc["raw"], "In raw record", col)
    kinds, kby_name, kby_value = [], {}, {}
    for i, x in enumerate(doc["exits"]):
        ctx = f"In exit '{x['name']}'"
        loc = doc["exits"].item_loc(i)
        if x["name"] in C_KEYWORDS:
            col.error(x.val_loc("name"), f"'{x['name']}' is a C keyword (it names the union member u.{x['name']})", ctx)
        elif x["name"] in RESERVED_EXIT_NAMES:
            col.error(x.val_loc("name"), f"'{x['name']}' collides with a generated name "
                                         f"(struct axv_exit_{x['name']})", ctx)
        if x["name"] in kby_name:
            col.error(x.val_loc("name"), f"duplicate exit name (first at line {kby_name[x['name']].loc.line})", ctx)
            continue
        if x["value"] in kby_value:
            col.error(x.val_loc("value"), f"value {x['value']} already used by exit '{kby_value[x['value']].name}'", ctx)
        fields = _build_fields(x.get("fields", []), ctx, col)
        fby = {f.name: f for f in fields}
        completion = None
        if "completion" in x:
            comp = x["completion"]
            completion = {}
            for role, fname in comp.items():
                if fname not in fby:
                    col.error(comp.val_loc(role), f"completion {role} names unknown field '{fname}'", ctx)
                    continue
                if fby[fname].is_array:
                    col.error(comp.val_loc(role), f"completion {role} field '{fname}' must not be an array", ctx)
                    continue
                if fby[fname].type.name not in COMPLETION_TYPES[role]:
                    want = " or ".join(COMPLETION_TYPES[role])
                    col.error(comp.val_loc(role), f"completion {role} field '{fname}' must be of type {want}", ctx)
                    continue
                completion[role] = fby[fname]
            if "reg_width" in completion and "reg" not in completion:
                col.error(comp.key_loc("reg_width"), "completion reg_width needs a reg", ctx)
        kind = Obj(name=x["name"], upper=_upper(x["name"]), value=x["value"], doc=x["doc"],
                   fields=fields, completion=completion, loc=loc, value_loc=x.val_loc("value"))
        kby_name[kind.name] = kind
        kby_value.setdefault(kind.value, kind)
        kinds.append(kind)
    return Obj(file=file, raw=raw, kinds=sorted(kinds, key=lambda k: k.value), by_name=kby_name,
               loc=doc.key_loc("exits"))


# ------------------------------------------------------------------- previous
def check_previous(model, prev, col):
    """Refuse renumbering of anything a previous release already published."""
    pairs = (("error", model.errors.errors, prev.errors.errors, model.errors.loc),
             ("state", model.vcpu.states, prev.vcpu.states, model.vcpu.loc),
             ("exit", model.exits.kinds, prev.exits.kinds, model.exits.loc))
    for what, cur, old, list_loc in pairs:
        old_by_name = {o.name: o for o in old}
        old_by_value = {o.value: o for o in old}
        for c in cur:
            o = old_by_name.get(c.name)
            if o is not None and o.value != c.value:
                col.error(c.value_loc, f"{what} '{c.name}' was released as {o.value}; released numbers never change")
            elif o is None and c.value in old_by_value:
                col.error(c.value_loc,
                          f"{what} '{c.name}' reuses {c.value}, released as '{old_by_value[c.value].name}'")
        cur_names = {c.name for c in cur}
        for o in old:
            if o.name not in cur_names:
                col.error(list_loc,
                          f"released {what} '{o.name}' ({o.value}) was removed; keep it (it may be deprecated)")
