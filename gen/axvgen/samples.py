"""Sample exits for the generated round-trip tests, and the text the C
formatter must print for them: the generator predicts, the C code must agree."""


def _scalar_sample(kind, field, index, elem):
    if field.names:
        return field.names[0][1]
    if field.allowed:
        return field.allowed[(len(field.allowed) - 1) // 2]
    if field.range:
        lo, hi = field.range
        return (lo + hi) // 2
    t = field.type.name
    if t == "flags":
        bits = [b for _, b in field.flags]
        return bits[0] | bits[-1]
    if t == "bool":
        return 1
    if t == "port":
        return 0x3f8
    if t == "sysreg":
        return 0xc0000080
    base = {"u8": 0x5a, "u16": 0x1234, "u32": 0x12345678}.get(t)
    if base is not None:
        return (base + elem) & field.type.max
    return 0x1000 * (index + 1) + 0x10 * elem + kind.value


def sample_values(kind):
    """[(field, [values...])] — one value per array element."""
    return [(f, [_scalar_sample(kind, f, i, j) for j in range(f.count)]) for i, f in enumerate(kind.fields)]


def _fmt_scalar(field, v):
    fmt = field.type.fmt
    if field.names:
        for name, val in field.names:
            if val == v:
                return name
        return str(v)
    if fmt == "bool":
        return "true" if v else "false"
    if fmt == "hex":
        return f"0x{v:x}"
    if fmt == "flags":
        names = [n for n, b in field.flags if v & b]
        rest = v & ~sum(b for _, b in field.flags)
        if rest:
            names.append(f"0x{rest:x}")
        return f"0x{v:x}" + (f"({'|'.join(names)})" if names else "")
    return str(v)


def expected_format(kind, values):
    parts = [kind.name]
    for field, vals in values:
        text = [_fmt_scalar(field, v) for v in vals]
        parts.append(f"{field.name}=" + (f"[{','.join(text)}]" if field.is_array else text[0]))
    return " ".join(parts)


def violations(field):
    """Values that axv_exit_validate() must refuse for this field: [(value, why)]."""
    out = []
    t = field.type
    if field.allowed is not None:
        bad = next(v for v in range(0, t.max + 1) if v not in field.allowed)
        out.append((bad, f"{bad} is not an allowed value"))
        if max(field.allowed) < t.max:
            out.append((max(field.allowed) + 1, "just above the largest allowed value"))
    if field.names:
        names = {v for _, v in field.names}
        bad = next(v for v in range(0, t.max + 1) if v not in names)
        out.append((bad, f"{bad} has no name"))
    if field.range:
        lo, hi = field.range
        if hi < t.max:
            out.append((hi + 1, "above the range"))
        if lo > 0:
            out.append((lo - 1, "below the range"))
    if field.flags:
        mask = sum(b for _, b in field.flags)
        bad = next((1 << i for i in range(t.bits) if not mask & (1 << i)), None)
        if bad is not None:
            out.append((bad, "an undefined flag bit"))
    seen, uniq = set(), []
    for v, why in out:
        if v not in seen:
            seen.add(v)
            uniq.append((v, why))
    return uniq
