"""The harness of the C checks that test one pure file of src/ outside
PostgreSQL (test/balance, test/concurrency): build its NAME_check.c with that
file against the PostgreSQL headers of PG_CONFIG, run it, and pass only when
it ran at least as many checks as expected, each printing "ok NAME" (see
test/check.h), and exited 0 (main returns the number of failures).

Imported by each test_*.py there (not a test itself: unittest's discovery
looks for test_*.py).
"""
import os
import subprocess
import tempfile

TEST = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TEST)


def cfg(flag):
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
    return subprocess.check_output([pg_config, flag], text=True).strip()


def run_checks(case, check_c, source, min_checks):
    """Build check_c (a NAME_check.c) with source (a path under src/) and
    run it; case (a unittest.TestCase) fails on a failed check, on fewer
    than min_checks checks, and on a non-zero exit."""
    name = os.path.splitext(os.path.basename(check_c))[0]
    out = os.path.join(tempfile.mkdtemp(prefix=name + "."), name)
    src = os.path.join(ROOT, source)
    subprocess.check_call(["gcc", "-O1", "-Wall", "-Werror", "-D_GNU_SOURCE",
                           "-I", os.path.dirname(src), "-I", TEST, "-I", cfg("--includedir-server"),
                           "-o", out, check_c, src,
                           "-L", cfg("--libdir"), "-L", cfg("--pkglibdir"), "-lpgcommon", "-lpgport", "-lm"])
    p = subprocess.run([out], capture_output=True, text=True)
    lines = p.stdout.splitlines()
    case.assertTrue(lines, "no check ran")
    failed = [l for l in lines if not l.startswith("ok ")]
    case.assertEqual(failed, [], "\n".join(failed))
    case.assertEqual(p.returncode, 0, p.stderr)
    case.assertGreaterEqual(len(lines), min_checks)
