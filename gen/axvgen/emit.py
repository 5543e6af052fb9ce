"""Rendering: one Jinja2 template per output file, written only when changed."""
import os

import jinja2

from . import VERSION
from .model import TYPES
from .samples import expected_format, sample_values, violations

# (template, output path under out/, spec file kinds it comes from)
OUTPUTS = (
    ("errors.h.j2", "include/axv/gen/errors.h", ("errors",)),
    ("errors.c.j2", "src/errors.c", ("errors",)),
    ("vcpu_sm.h.j2", "include/axv/gen/vcpu_sm.h", ("vcpu",)),
    ("vcpu_sm.c.j2", "src/vcpu_sm.c", ("vcpu",)),
    ("exits.h.j2", "include/axv/gen/exits.h", ("exits",)),
    ("exits.c.j2", "src/exits.c", ("exits",)),
    ("trace_points.h.j2", "include/axv/gen/trace_points.h", ("vcpu", "exits")),
    ("trace_points.c.j2", "src/trace_points.c", ("vcpu", "exits")),
    ("reference.md.j2", "docs/reference.md", ("vcpu", "exits", "errors")),
    ("vcpu_states.dot.j2", "docs/vcpu_states.dot", ("vcpu",)),
    ("test_transitions.c.j2", "tests/test_transitions.c", ("vcpu",)),
    ("test_exits.c.j2", "tests/test_exits.c", ("exits",)),
)

# Per arch: (table kind, template, output path with {arch}).
ARCH_OUTPUTS = (
    ("hwexits", "hwexits.h.j2", "include/axv/gen/{arch}_exits.h"),
    ("hwexits", "hwexits.c.j2", "src/{arch}_exits.c"),
    ("calls", "calls.h.j2", "include/axv/gen/{arch}_calls.h"),
    ("calls", "calls.c.j2", "src/{arch}_calls.c"),
    ("sysregs", "sysregs.h.j2", "include/axv/gen/{arch}_sysregs.h"),
    ("sysregs", "sysregs.c.j2", "src/{arch}_sysregs.c"),
)


def c_string(s):
    out = str(s).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{out}"'


def hexu(v):
    return f"0x{v:x}"


def make_env(tdir):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tdir), trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["c_string"] = c_string
    env.filters["hex"] = hexu
    env.filters["sysreg_key"] = _sysreg_key
    env.filters["spec_rel"] = lambda f: _spec_path(f).split("/", 1)[-1]
    return env


def _write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def emit_all(model, tdir, out):
    env = make_env(tdir)
    ctx = dict(m=model, version=VERSION, sample_values=sample_values, field_types=list(TYPES.values()),
               expected_format=expected_format, violations=violations,
               spec_name=lambda k: os.path.basename(model.files[k]))
    written = []
    jobs = [(tname, rel, ", ".join(f"spec/{os.path.basename(model.files[k])}" for k in kinds), {})
            for tname, rel, kinds in OUTPUTS]
    for arch in model.arches:
        for kind, tname, rel in ARCH_OUTPUTS:
            table = getattr(arch, kind)
            if table is not None:
                jobs.append((tname, rel.format(arch=arch.name), _spec_path(table.file), {"a": table}))
    for tname, rel, sources, extra in jobs:
        text = env.get_template(tname).render(banner_sources=sources, **ctx, **extra)
        path = os.path.join(out, rel)
        if _write_if_changed(path, text):
            written.append(path)
    return written


def _sysreg_key(reg, table):
    """(key, register): the register's encoding parts packed, first part most significant."""
    key = 0
    for part, value in zip(table.parts, reg.enc):
        key = (key << part.bits) | value
    return key, reg


def _spec_path(file):
    """A spec file as banners name it: from spec/ on."""
    parts = os.path.normpath(file).split(os.sep)
    return "/".join(parts[parts.index("spec"):]) if "spec" in parts else file
