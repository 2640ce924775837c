"""The concurrency controller (src/paging/concurrency.c) on its own: its C checks
(concurrency_check.c) built against the PostgreSQL headers of PG_CONFIG and run
(test/c_checks.py).

    PG_CONFIG=... python3 -m unittest discover -s test/concurrency -p 'test_*.py'
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))      # test/: the shared harness
from c_checks import run_checks                 # noqa: E402


class ConcurrencyTest(unittest.TestCase):
    def test_concurrency_checks(self):
        run_checks(self, os.path.join(HERE, "concurrency_check.c"), "src/paging/concurrency.c", min_checks=20)


if __name__ == "__main__":
    unittest.main()
