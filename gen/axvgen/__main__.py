"""Command line: python3 -m axvgen --spec-dir spec --out out/gen [--check]."""
import argparse
import os
import sys

from . import VERSION
from .diag import Loc, SpecError, SpecErrors
from .spec import load_spec


def main(argv=None):
    ap = argparse.ArgumentParser(prog="axvgen", description="Validate the axvcpu spec and generate C, tests and docs.")
    ap.add_argument("--spec-dir", default="spec", help="folder with vcpu.yaml, exits.yaml, errors.yaml")
    ap.add_argument("--out", default="out/gen", help="output folder")
    ap.add_argument("--templates", default=None, help="template folder (default: ../templates next to gen/)")
    ap.add_argument("--check", action="store_true", help="validate only, write nothing")
    ap.add_argument("--override", action="append", default=[], metavar="FILE",
                    help="use FILE in place of the spec file of the same schema (for spec tests)")
    ap.add_argument("--previous", metavar="DIR", help="spec folder of the previous release: refuse renumbering")
    ap.add_argument("--version", action="version", version=f"axvgen {VERSION}")
    args = ap.parse_args(argv)

    try:
        model = load_spec(args.spec_dir, args.override, args.previous)
        if args.check:
            return 0
        from .emit import emit_all
        tdir = args.templates or os.path.join(os.path.dirname(__file__), "..", "..", "templates")
        written = emit_all(model, os.path.normpath(tdir), args.out)
        if written:
            print(f"axvgen: wrote {len(written)} file(s) to {args.out}", file=sys.stderr)
        return 0
    except SpecErrors as e:
        for err in e.errors:
            print(err.render(), file=sys.stderr)
        return 1
    except SpecError as e:
        print(e.render(), file=sys.stderr)
        return 1
    except Exception as e:  # a bug in axvgen, not in the spec: still no traceback for users
        if os.environ.get("AXVGEN_DEBUG"):
            raise
        loc = Loc(args.spec_dir, 1, 1)
        print(f"{loc}: error: internal generator error ({type(e).__name__}: {e}); "
              "rerun with AXVGEN_DEBUG=1 and report it", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
