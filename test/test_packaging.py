"""The PGXN metadata, the control file and the install script agree."""
import json
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PackagingTest(unittest.TestCase):
    def test_meta_matches_control(self):
        meta = json.load(open(os.path.join(ROOT, "META.json")))
        control = open(os.path.join(ROOT, "intercom_fdw.control")).read()
        default = re.search(r"default_version\s*=\s*'([^']+)'", control).group(1)
        ext = meta["provides"]["intercom_fdw"]
        # PGXN wants semantic versions: control 1.0 is 1.0.0
        self.assertEqual(ext["version"], default + ".0")
        self.assertEqual(meta["version"], default + ".0")
        self.assertEqual(ext["file"], f"intercom_fdw--{default}.sql")
        self.assertEqual(self.built_script(), ext["file"])
        self.assertEqual(meta["meta-spec"]["version"], "1.0.0")
        for key in ("name", "abstract", "version", "maintainer", "license", "provides"):
            self.assertIn(key, meta)

    def built_script(self):
        """The install script the Makefile builds (DATA_built), after
        checking that every part it is made of exists."""
        makefile = open(os.path.join(ROOT, "Makefile")).read()
        parts = re.search(r"^SQL_PARTS\s*=\s*(.+)$", makefile, re.M).group(1).split()
        self.assertTrue(parts)
        for part in parts:
            self.assertTrue(os.path.exists(os.path.join(ROOT, "src", "sql", part + ".sql")), part)
        return re.search(r"^DATA_built\s*=\s*(\S+)$", makefile, re.M).group(1)


if __name__ == "__main__":
    unittest.main()
