"""Partition balancing (src/paging/balance.c) on its own: its C checks
(balance_check.c) built against the PostgreSQL headers of PG_CONFIG and run.

    PG_CONFIG=... python3 -m unittest discover -s test/balance -p 'test_*.py'
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


class BalanceTest(unittest.TestCase):
    def test_balance_checks(self):
        out = os.path.join(tempfile.mkdtemp(prefix="balance_check."), "balance_check")
        subprocess.check_call(["gcc", "-O1", "-Wall", "-Werror", "-D_GNU_SOURCE",
                               "-I", os.path.join(ROOT, "src", "paging"), "-I", cfg("--includedir-server"),
                               "-o", out, os.path.join(HERE, "balance_check.c"),
                               os.path.join(ROOT, "src", "paging", "balance.c"),
                               "-L", cfg("--libdir"), "-L", cfg("--pkglibdir"), "-lpgcommon", "-lpgport"])
        p = subprocess.run([out], capture_output=True, text=True)
        lines = p.stdout.splitlines()
        self.assertTrue(lines, "no check ran")
        failed = [l for l in lines if not l.startswith("ok ")]
        self.assertEqual(failed, [], "\n".join(failed))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreaterEqual(len(lines), 12)


if __name__ == "__main__":
    unittest.main()
