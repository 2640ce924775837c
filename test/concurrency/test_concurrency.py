"""The concurrency controller (src/paging/concurrency.c) on its own: its C checks
(concurrency_check.c) built against the PostgreSQL headers of PG_CONFIG and run.

    PG_CONFIG=... python3 -m unittest discover -s test/concurrency -p 'test_*.py'
"""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def cfg(flag):
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
    return subprocess.check_output([pg_config, flag], text=True).strip()


class ConcurrencyTest(unittest.TestCase):
    def test_concurrency_checks(self):
        out = os.path.join(tempfile.mkdtemp(prefix="concurrency_check."), "concurrency_check")
        subprocess.check_call(["gcc", "-O1", "-Wall", "-Werror", "-D_GNU_SOURCE",
                               "-I", os.path.join(ROOT, "src", "paging"), "-I", cfg("--includedir-server"),
                               "-o", out, os.path.join(HERE, "concurrency_check.c"),
                               os.path.join(ROOT, "src", "paging", "concurrency.c"),
                               "-L", cfg("--libdir"), "-L", cfg("--pkglibdir"), "-lpgcommon", "-lpgport"])
        p = subprocess.run([out], capture_output=True, text=True)
        lines = p.stdout.splitlines()
        self.assertTrue(lines, "no check ran")
        failed = [l for l in lines if not l.startswith("ok ")]
        self.assertEqual(failed, [], "\n".join(failed))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(len(lines), 20)


if __name__ == "__main__":
    unittest.main()
