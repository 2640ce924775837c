"""The page decoder (src/decoding/json_decode.c) on its own, against Python's json.

Builds test/decode/decode_check.c with the decoder, feeds it documents and
compares what it decoded with what Python's json module reads from the same
bytes, after the documented replacements: \\u0000, lone surrogates and bytes
that are not UTF-8 become U+FFFD; duplicate keys: the last one wins; numbers
keep their exact text.

    PG_CONFIG=... python3 -m unittest discover -s test/decode -p 'test_*.py'
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = None


def build():
    global BINARY
    if BINARY:
        return BINARY
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")

    def cfg(flag):
        return subprocess.check_output([pg_config, flag], text=True).strip()
    out = os.path.join(tempfile.mkdtemp(prefix="decode_check."), "decode_check")
    subprocess.check_call(["gcc", "-O1", "-Wall", "-Werror", "-I", os.path.join(ROOT, "src"),
                           "-I", cfg("--includedir-server"), "-o", out,
                           os.path.join(HERE, "decode_check.c"), os.path.join(ROOT, "src", "decoding", "json_decode.c"),
                           "-L", cfg("--libdir"), "-L", cfg("--pkglibdir"), "-lpgcommon", "-lpgport"])
    BINARY = out
    return out


def decode(data, count_key=None):
    """(tree, replaced) as the C decoder read data, or None if it rejected it."""
    args = [build()] + (["--count", count_key] if count_key else [])
    p = subprocess.run(args, input=data, capture_output=True)
    if p.returncode == 1:
        return None
    if p.returncode != 0:
        raise AssertionError(f"decode_check crashed: {p.returncode} {p.stderr!r}")
    replaced = int(p.stderr.strip())
    if count_key:
        return int(p.stdout), replaced
    return loads_exact(p.stdout.decode("ascii")), replaced


def loads_exact(text):
    return json.loads(text, parse_int=lambda s: ("num", s), parse_float=lambda s: ("num", s),
                      parse_constant=lambda s: ("num", s), object_pairs_hook=dict)


def scrub(v):
    """Python's reading -> what the FDW promises: U+FFFD for what text cannot hold."""
    if isinstance(v, str):
        return "".join("\ufffd" if c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF else c for c in v)
    if isinstance(v, list):
        return [scrub(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out[scrub(k)] = scrub(x)
        return out
    return v


def count_fffd(v):
    if isinstance(v, str):
        return v.count("\ufffd")
    if isinstance(v, list):
        return sum(count_fffd(x) for x in v)
    if isinstance(v, dict):
        return sum(count_fffd(k) + count_fffd(x) for k, x in v.items())
    return 0


def reference(data):
    # errors="replace" substitutes maximal subparts, as Unicode recommends
    text = data.decode("utf-8", errors="replace")
    return scrub(loads_exact(text))


class Decoder(unittest.TestCase):
    def check(self, data, replaced=None):
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogatepass")
        got = decode(data)
        self.assertIsNotNone(got, f"rejected valid JSON {data[:200]!r}")
        want = reference(data)
        self.assertEqual(got[0], want, f"decoded differently: {data[:200]!r}")
        if replaced is None:
            replaced = count_fffd(want)
        if replaced is not False:
            self.assertEqual(got[1], replaced, f"replacement count for {data[:200]!r}")

    def reject(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogatepass")
        self.assertIsNone(decode(data), f"accepted invalid JSON {data[:200]!r}")

    # --- numbers: every digit as sent ---
    def test_numbers_exact(self):
        for n in ["18446744073709551617", "-18446744073709551617", "0.30000000000000004",
                  "1.7976931348623157e308", "1.0e400", "-0.0", "1E+2", "123.4500", "5e-324",
                  "0", "-0", "1e-400", "9" * 400, "0." + "1" * 300]:
            self.check('{"seats":%s,"list":[%s]}' % (n, n))
            got = decode(('{"v":%s}' % n).encode())[0]
            self.assertEqual(got["v"], ("num", n))

    def test_invalid_numbers(self):
        for n in ["01", "1.", ".5", "+1", "NaN", "Infinity", "-", "1e", "1e+", "0x10", "1.5.2", "--1"]:
            self.reject('{"v":%s}' % n)

    # --- strings ---
    def test_escapes_and_unicode_exact(self):
        self.check(r'{"s":"q\" b\\ s\/ \b\f\n\r\t end"}')
        self.check(r'{"s":"\ud83d\ude00 pair", "e":"😀 raw", "ls":"a\u2028b\u2029c", "raw":"a b c"}')
        self.check('{"rtl":"مرحبا بالعالم", "he":"שלום", "mixed":"abc \u202e def"}')
        self.check(r'{"ctl":"\u0001\u001f\u007f", "hex":"\u00e9\u00E9\uFFFF"}')

    def test_replacements(self):
        self.check(r'{"s":"a\u0000b"}', replaced=1)
        self.check(r'{"s":"a\ud800b"}', replaced=1)
        self.check(r'{"s":"a\udc00b"}', replaced=1)
        self.check(r'{"s":"\ud800\u0041"}', replaced=1)          # high, then not a low
        self.check(r'{"s":"\ud800\ud800\udc00"}', replaced=1)    # lone high, then a pair
        self.check(r'{"s":"\udc00\ud800"}', replaced=2)
        self.check(r'{"k\u0000":"key"}', replaced=1)

    def test_invalid_utf8_replaced(self):
        for bad in [b"\xff", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                    b"\xf0\x80\x80\x80", b"\x80", b"\xc3", b"\xe2\x82\xac\xff", b"\xf0\x9f\x98"]:
            self.check(b'{"s":"a' + bad + b'b","t":"' + bad + b'"}')

    def test_every_position_in_a_block(self):
        # the fast path looks at 16 bytes at a time: put each kind of byte it
        # must stop at at every offset of strings that span several blocks,
        # in one document per kind (and the same strings as keys)
        specials = [b'\\"', b"\\\\", b"\\n", b"\\u00e9", "é".encode(), "😀".encode(),
                    b"\xff", b"\xe2\x82", b"\x7f"]
        for sp in specials:
            members = []
            for n in range(0, 50):
                for pos in range(0, n + 1):
                    s = b"a" * pos + sp + b"b" * (n - pos)
                    members.append(b'"k%d_%d' % (n, pos) + sp + b'":"' + s + b'"')
            self.check(b"{" + b",".join(members) + b"}")
        for n in range(0, 40):   # a raw control character or an unclosed string: rejected
            self.reject(b'{"s":"' + b"a" * n + b'\x01"}')
            self.reject(b'{"s":"' + b"a" * n)

    def test_invalid_strings(self):
        for s in ['"a\nb"', '"a\tb"', r'"\x"', r'"\u12"', r'"\u12G4"', '"abc', "'abc'", r'"\"']:
            self.reject('{"s":%s}' % s)

    # --- structure ---
    def test_duplicate_keys_last_wins(self):
        self.check('{"a":1,"b":{"x":1,"x":[2]},"a":"last"}')
        got = decode(b'{"a":1,"a":2,"a":3}')[0]
        self.assertEqual(got, {"a": ("num", "3")})

    def test_shapes(self):
        self.check('{}')
        self.check('[]')
        self.check(' { "a" : [ 1 , { } , [ ] , null , true , false ] } \n')
        self.check('"top-level string"')
        self.check('42')

    def test_invalid_structure(self):
        for t in ['', ' ', '{', '}', '{"a":1,}', '[1,]', '{"a" 1}', '{"a":1}{"b":2}', '{"a":1} x',
                  '[1 2]', '{1:2}', 'tru', 'nul', '{"a":tru}', '/* c */ {}', '{"a":1]', '[1}']:
            self.reject(t)

    def test_every_truncation_rejected(self):
        doc = ('{"type":"list","data":[{"id":"1","n":18446744073709551617,"s":"a\\"b\\u00e9😀",'
               '"o":{"x":[1,2.5e3,null,true,false]}}],"pages":{"next":{"starting_after":"WzE2"}}}').encode()
        self.check(doc)
        for i in range(len(doc)):
            self.reject(doc[:i])

    def test_hostile_shapes(self):
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 50000))   # for Python's reading
        deep = "[" * 10000 + "]" * 10000
        self.check('{"deep":%s}' % deep)
        deep_obj = '{"a":' * 10000 + "1" + "}" * 10000
        self.check(deep_obj)
        self.check('{"big":"%s"}' % ("x" * (10 * 1024 * 1024)))
        self.check('{"big":"%s\\n"}' % ("é" * (1024 * 1024)))
        self.check("{%s}" % ",".join('"k%d":%d' % (i, i) for i in range(1000)))

    def test_random_documents(self):
        rng = random.Random(11)
        alphabet = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\x00', '\x1f', 'é', '€', '😀', '\u2028',
                    'ש', '\ud800', '\udc00', '\ufeff']

        def rstring():
            return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

        def rnumber():
            return rng.choice(["0", "-1", "3.25", "1e5", "-2.5E-3", str(rng.getrandbits(100)),
                               "0.%d" % rng.getrandbits(64)])

        def rvalue(depth):
            k = rng.randint(0, 6 if depth < 5 else 3)
            if k == 0:
                return json.dumps(rstring())
            if k == 1:
                return rnumber()
            if k == 2:
                return rng.choice(["true", "false", "null"])
            if k == 3:
                return json.dumps(rstring(), ensure_ascii=False)
            if k == 4:
                return "[%s]" % ",".join(rvalue(depth + 1) for _ in range(rng.randint(0, 4)))
            keys = [rstring() for _ in range(rng.randint(0, 4))]
            keys += keys[:rng.randint(0, len(keys))]          # duplicates
            return "{%s}" % ",".join("%s:%s" % (json.dumps(key), rvalue(depth + 1)) for key in keys)

        for _ in range(300):
            # replacements in keys that a later duplicate hides count too: no count check
            self.check("{\"r\":%s}" % rvalue(0), replaced=False)

    # --- count mode: count(*) ---
    def test_count_mode(self):
        page = ('{"type":"list","data":[{"a":"x\\"]"},[1,[2]],"s",18446744073709551617,{"b":{"c":[]}}],'
                '"pages":{"next":{"starting_after":"abc"}},"total_count":5}').encode()
        self.assertEqual(decode(page, count_key="data"), (5, 0))
        self.assertEqual(decode(b'{"data":[]}', count_key="data"), (0, 0))
        for i in range(len(page)):
            self.assertIsNone(decode(page[:i], count_key="data"), page[:i])
        self.assertIsNone(decode(b'{"data":[1,2}', count_key="data"))
        self.assertIsNone(decode(b'{"data":[1,2],}', count_key="data"))
        # skipped strings end at the first unescaped quote, wherever it falls
        # in a 16-byte block: runs of backslashes before quotes at every offset
        records = []
        for n in range(0, 40):
            for run in (1, 2, 3, 4):
                body = b"a" * n + b"\\" * (2 * (run // 2)) + (b'\\"' if run % 2 else b"") + b"z" * (n % 7)
                records.append(b'{"s":"' + body + b'","k' + b"\\\\" * run + b'":[1]}')
        page = b'{"data":[' + b",".join(records) + b'],"next":"x"}'
        self.assertEqual(decode(page, count_key="data"), (len(records), 0))
        self.check(page)


if __name__ == "__main__":
    unittest.main()
