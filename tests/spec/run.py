#!/usr/bin/env python3
"""Spec tests: the generator must refuse every bad spec with exactly the expected,
located errors (as QEMU's tests/qapi-schema does), accept the real spec, and
survive mutated copies of it without a traceback.

  PYTHONPATH=gen python3 tests/spec/run.py            run everything
  PYTHONPATH=gen python3 tests/spec/run.py --update   rewrite bad/*.err from actual output

bad/NAME.yaml holds one defect (described on its first line, "# defect: ...")
in an otherwise valid copy of one spec file; it replaces that file through
--override. bad/NAME.err is the exact stderr expected. Files named previous-*
are also checked against the release in previous/ (--previous).
"""
import argparse
import concurrent.futures
import difflib
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BAD = os.path.relpath(os.path.join(HERE, "bad"), ROOT)
PREVIOUS = os.path.relpath(os.path.join(HERE, "previous"), ROOT)
SPEC_FILES = ("errors", "vcpu", "exits")
LOCATED = re.compile(r"^[^:]+:\d+:\d+: error: ")
MUTANTS_PER_FILE = 40
MUTATION_SEED = 20240607


def axvgen(*args):
    env = dict(os.environ, PYTHONPATH="gen")
    env.pop("AXVGEN_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "axvgen", "--spec-dir", "spec", "--check", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def shape_problems(status, stdout, stderr, allowed=(1,)):
    """What is wrong with how the generator failed, whatever the message says."""
    problems = []
    if status not in allowed:
        problems.append(f"exit status {status}, expected {' or '.join(map(str, allowed))}")
    if stdout:
        problems.append("wrote to stdout")
    if "Traceback" in stderr:
        problems.append("traceback in stderr")
    if status == 1:
        if not stderr:
            problems.append("failed without a message")
        problems += [f"not a located error: {line!r}" for line in stderr.splitlines() if not LOCATED.match(line)]
    elif status == 0 and stderr:
        problems.append("succeeded but printed to stderr")
    return problems


# ------------------------------------------------------------------ bad specs
def run_bad(name, update):
    yaml_path = f"{BAD}/{name}.yaml"
    err_path = os.path.join(ROOT, BAD, f"{name}.err")
    with open(os.path.join(ROOT, yaml_path), encoding="utf-8") as f:
        first = f.readline()
    args = ["--override", yaml_path]
    if name.startswith("previous-"):
        args += ["--previous", PREVIOUS]
    status, stdout, stderr = axvgen(*args)
    problems = shape_problems(status, stdout, stderr)
    if not first.startswith("# defect: "):
        problems.append("first line must be '# defect: <what is wrong>'")
    if update:
        with open(err_path, "w", encoding="utf-8") as f:
            f.write(stderr)
        return problems, []
    if not os.path.exists(err_path):
        return problems + [f"no {BAD}/{name}.err (create it with --update)"], []
    with open(err_path, encoding="utf-8") as f:
        expected = f.read()
    diff = []
    if stderr != expected:
        problems.append("stderr differs from the .err file")
        diff = list(difflib.unified_diff(expected.splitlines(keepends=True), stderr.splitlines(keepends=True),
                                         f"{BAD}/{name}.err", "actual stderr"))
    return problems, diff


# ------------------------------------------------------------------ mutations
_SCALAR = re.compile(r"(?<=: )[^\s{}\[\],#&*!|>][^,}\]\n#]*")
_REPLACEMENTS = ("[]", "{}", "-1", '"x"', "null", "1.5", "true", "0x100000000", "[1, 2]", "{a: 1}", "''",
                 "99999999999999999999999")


def mutate(text, rng):
    """One random, deterministic damage to a spec file: (new text, description)."""
    lines = text.splitlines(keepends=True)
    how = rng.randrange(4)
    if how == 0:
        i = rng.randrange(len(lines))
        return "".join(lines[:i] + lines[i + 1:]), f"delete line {i + 1}"
    if how == 1:
        i = rng.randrange(len(lines))
        return "".join(lines[:i + 1] + lines[i:]), f"duplicate line {i + 1}"
    if how == 2:
        spots = [(i, m) for i, line in enumerate(lines) for m in _SCALAR.finditer(line)]
        i, m = rng.choice(spots)
        new = rng.choice(_REPLACEMENTS)
        lines[i] = lines[i][:m.start()] + new + lines[i][m.end():]
        return "".join(lines), f"line {i + 1}: {m.group(0).strip()!r} -> {new}"
    data = text.encode("utf-8")
    cut = rng.randrange(len(data))
    return data[:cut].decode("utf-8", "ignore"), f"truncate at byte {cut}"


def run_mutations():
    """Returns (number run, [failure lines])."""
    jobs = []
    with tempfile.TemporaryDirectory(prefix="axv-spec-mut-") as tmp:
        arch_files = sorted(os.path.relpath(p, os.path.join(ROOT, "spec"))[:-len(".yaml")]
                            for p in glob.glob(os.path.join(ROOT, "spec", "arch", "*", "*.yaml")))
        for kind in list(SPEC_FILES) + arch_files:
            with open(os.path.join(ROOT, "spec", f"{kind}.yaml"), encoding="utf-8") as f:
                text = f.read()
            rng = random.Random(f"{MUTATION_SEED}:{kind}")
            for i in range(MUTANTS_PER_FILE):
                mutant, what = mutate(text, rng)
                path = os.path.join(tmp, f"{kind.replace('/', '-')}-{i:02d}.yaml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(mutant)
                jobs.append((kind, i, what, path))

        def one(job):
            status, stdout, stderr = axvgen("--override", job[3])
            return job, stderr, shape_problems(status, stdout, stderr, allowed=(0, 1))

        failures = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for (kind, i, what, path), stderr, problems in pool.map(one, jobs):
                if problems:
                    keep = os.path.join(ROOT, "out", "spec-mutants", os.path.basename(path))
                    os.makedirs(os.path.dirname(keep), exist_ok=True)
                    shutil.copy(path, keep)
                    failures.append(f"FAIL mutation spec/{kind}.yaml #{i} ({what}), kept as "
                                    f"{os.path.relpath(keep, ROOT)}: {'; '.join(problems)}")
                    failures += ["    " + line for line in stderr.splitlines()[-10:]]
    return len(jobs), failures


# ----------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite bad/*.err from the actual output")
    args = ap.parse_args()

    bad_dir = os.path.join(ROOT, BAD)
    names = sorted(f[:-5] for f in os.listdir(bad_dir) if f.endswith(".yaml"))
    passed = failed = 0

    def report(name, problems, details=()):
        nonlocal passed, failed
        if problems:
            failed += 1
            print(f"FAIL {name}: {'; '.join(problems)}")
            for line in details:
                print("    " + line.rstrip("\n"))
        else:
            passed += 1
            print(f"ok   {name}")

    # The real spec passes, alone and against the previous release.
    for name, extra in (("good", ()), ("good-vs-previous", ("--previous", PREVIOUS))):
        status, stdout, stderr = axvgen(*extra)
        report(name, shape_problems(status, stdout, stderr, allowed=(0,)), stderr.splitlines())

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda n: run_bad(n, args.update), names))
    for name, (problems, diff) in zip(names, results):
        report(name, problems, diff)
    for orphan in sorted(f[:-4] for f in os.listdir(bad_dir) if f.endswith(".err") and f[:-4] not in names):
        report(orphan, [f"{BAD}/{orphan}.err has no {orphan}.yaml"])

    n, failures = run_mutations()
    if failures:
        failed += 1
        print("\n".join(failures))
        print(f"mutations: {n} run, {sum(1 for f in failures if f.startswith('FAIL'))} not located")
    else:
        passed += 1
        print(f"mutations: {n} run, all located")

    print(f"spec tests: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
