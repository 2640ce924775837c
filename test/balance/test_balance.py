"""Partition balancing (src/paging/balance.c) on its own: its C checks
(balance_check.c) built against the PostgreSQL headers of PG_CONFIG and run
(test/c_checks.py).

    PG_CONFIG=... python3 -m unittest discover -s test/balance -p 'test_*.py'
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))      # test/: the shared harness
from c_checks import run_checks                 # noqa: E402


class BalanceTest(unittest.TestCase):
    def test_balance_checks(self):
        run_checks(self, os.path.join(HERE, "balance_check.c"), "src/paging/balance.c", min_checks=20)


if __name__ == "__main__":
    unittest.main()
