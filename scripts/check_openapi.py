#!/usr/bin/env python3
"""Compare the stream table's columns with Intercom's OpenAPI description.

    python3 scripts/check_openapi.py [OPENAPI_YAML] [--quiet]

For every table of src/catalogue/streams.c (via src/catalogue/stream_columns.h) that reads an
object of the description's components.schemas, prints the schema's
top-level properties that are not columns, and the columns that are not
properties.  Every property that is not a column must be listed, with its
reason, in docs/tables.md under "Fields that are not columns"; the script
exits 1 if one is not (so the next OpenAPI update shows what changed), and
0 otherwise.  Differences that docs/tables.md explains are printed too,
marked "documented" (--quiet leaves them out).

OPENAPI_YAML defaults to $INTERCOM_OPENAPI, else the 2.16 description in
the shared reference directory.  Standard library only: the description is
read by a small reader of the YAML it uses (block mappings and sequences,
plain and quoted scalars, block scalars), not by a YAML library.
"""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the project's shared reference, beside the repository (as CI lays it out)
DEFAULT_YAML = next((p for p in (
    os.path.join(os.path.dirname(REPO), "shared", "reference", "intercom-openapi", "api.intercom.io.yaml"),
    "/work/shared/reference/intercom-openapi/api.intercom.io.yaml") if os.path.exists(p)),
    "/work/shared/reference/intercom-openapi/api.intercom.io.yaml")

# Which schema object each table reads (several for a union), and where
# the records of a table are not an object of the description.
STREAM_SCHEMAS = {
    "activity_logs": ["activity_log"],
    "admins": ["admin"],
    "articles": ["article"],
    "companies": ["company"],
    "company_attributes": ["data_attribute"],
    "company_segments": ["segment"],
    "contact_attributes": ["data_attribute"],
    "contacts": ["contact"],
    # before 2.16 data_attribute, from 2.16 conversation_attribute (a oneOf)
    "conversation_attributes": ["data_attribute", "conversation_attribute"],
    "conversation_parts": ["conversation_part"],
    "conversations": ["conversation"],
    "help_center_collections": ["collection"],
    "segments": ["segment"],
    "subscription_types": ["subscription_type"],
    "tags": ["tag"],
    "teams": ["team"],
    "ticket_parts": ["ticket_part"],
    "ticket_types": ["ticket_type"],
    "tickets": ["ticket"],
    "ticket_states": ["ticket_state_detailed"],
    "macros": ["macro"],
    "contact_notes": ["note"],
    "contact_subscriptions": ["subscription_type"],
}


# ---------------------------------------------------------------------------
# A reader for the subset of YAML the description uses
# ---------------------------------------------------------------------------

def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _split_key(text):
    """'key: value' -> (key, value); None when the line is not a mapping entry."""
    if text.startswith(("'", '"')):
        q = text[0]
        end = text.find(q, 1)
        if end < 0 or not text[end + 1:].startswith(":"):
            return None
        return text[1:end], text[end + 2:].strip()
    m = re.match(r"([^\s:#][^:]*?):(\s+(.*))?$", text)
    if not m:
        return None
    return m.group(1), (m.group(3) or "").strip()


def _is_item(text):
    return text == "-" or text.startswith("- ")


def parse_yaml(lines):
    """Block mappings/sequences of the given lines into dicts/lists/strings."""
    items = []              # (indent, text) of meaningful lines
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip("\n")
        stripped = raw.strip()
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        items.append((indent, stripped))
        # a scalar's continuation lines (a block scalar, or a plain one
        # folded over several lines) are deeper than its key: skip them
        content, ci = stripped, indent
        if _is_item(content):
            content, ci = content[1:].strip(), indent + 2
        kv = _split_key(content)
        if (kv[1] if kv else content):
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip(" ")) > ci):
                i += 1
    pos = 0

    def block(indent):
        nonlocal pos
        if pos >= len(items):
            return None
        if _is_item(items[pos][1]):
            out = []
            while pos < len(items) and items[pos][0] == indent and _is_item(items[pos][1]):
                text = items[pos][1][1:].strip()
                if not text:
                    pos += 1
                    out.append(block(items[pos][0]) if pos < len(items) and items[pos][0] > indent else None)
                    continue
                kv = _split_key(text)
                if kv is None:
                    pos += 1
                    out.append(_scalar(text))
                    continue
                # "- key: value" opens a mapping at the item's content indent
                items[pos] = (indent + 2, text)
                out.append(block(indent + 2))
            return out
        out = {}
        while pos < len(items) and items[pos][0] == indent and not _is_item(items[pos][1]):
            kv = _split_key(items[pos][1])
            pos += 1
            if kv is None:
                continue
            key, value = kv
            if value and value[0] not in "|>":
                out[key] = _scalar(value)
            elif pos < len(items) and (items[pos][0] > indent or
                                       (items[pos][0] == indent and _is_item(items[pos][1]))):
                out[key] = block(items[pos][0])
            else:
                out[key] = None
        return out

    return block(items[0][0]) if items else None


def read_schemas(path):
    """components.schemas of the description, parsed."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    start = next(i for i, l in enumerate(lines) if l.rstrip() == "components:")
    start = next(i for i in range(start, len(lines)) if lines[i].rstrip() == "  schemas:") + 1
    end = start
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("   ")):
        end += 1
    return parse_yaml(lines[start:end])


def properties(schemas, name, seen=()):
    """The top-level property names of a schema, through allOf/oneOf/anyOf."""
    s = schemas.get(name) or {}
    if name in seen:
        return set()
    out = set((s.get("properties") or {}).keys())
    for comb in ("allOf", "oneOf", "anyOf"):
        for part in s.get(comb) or []:
            if isinstance(part, dict) and "$ref" in part:
                out |= properties(schemas, part["$ref"].rsplit("/", 1)[1], seen + (name,))
            elif isinstance(part, dict):
                out |= set((part.get("properties") or {}).keys())
    return out


# ---------------------------------------------------------------------------
# The stream table and the documentation
# ---------------------------------------------------------------------------

def stream_columns():
    """stream -> [(column, path)] from src/catalogue/stream_columns.h and src/catalogue/streams.c."""
    text = open(os.path.join(REPO, "src", "catalogue", "stream_columns.h"), encoding="utf-8").read()
    arrays = {}
    for m in re.finditer(r"static const IcColumn (\w+)\[\] = \{(.*?)\n\};", text, re.S):
        cols = re.findall(r'\{"([^"]+)", IC_\w+, (NULL|"[^"]*")', m.group(2))
        arrays[m.group(1)] = [(c, c if p == "NULL" else p.strip('"')) for c, p in cols]
    streams = open(os.path.join(REPO, "src", "catalogue", "streams.c"), encoding="utf-8").read()
    out = {}
    for m in re.finditer(r'IC_STREAM(?:_WITH_LIMIT_PATH)?\("(\w+)",(.*?)\),?\n', streams, re.S):
        arr = next((a for a in re.findall(r"(\w+_columns)", m.group(2)) if a in arrays), None)
        if arr:
            out[m.group(1)] = arrays[arr]
    return out


def documented_reasons():
    """(table, field) pairs listed in docs/tables.md under "Fields that are not columns"."""
    text = open(os.path.join(REPO, "docs", "tables.md"), encoding="utf-8").read()
    m = re.search(r"^## Fields that are not columns\n(.*?)(?=^## )", text, re.S | re.M)
    pairs = set()
    for line in (m.group(1) if m else "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in ("table", "---") and not cells[0].startswith("-"):
            for field in re.findall(r"`([^`]+)`", cells[1]):
                pairs.add((cells[0], field))
    return pairs


def main(argv):
    quiet = "--quiet" in argv
    args = [a for a in argv if a != "--quiet"]
    path = args[0] if args else os.environ.get("INTERCOM_OPENAPI", DEFAULT_YAML)
    schemas = read_schemas(path)
    tables = stream_columns()
    documented = documented_reasons()
    undocumented = 0
    for stream in sorted(tables):
        names = STREAM_SCHEMAS.get(stream)
        if not names:
            continue
        missing = [n for n in names if n not in schemas]
        if missing:
            print(f"{stream}: schema {', '.join(missing)} is not in the description")
            undocumented += 1
            continue
        props = set().union(*(properties(schemas, n) for n in names))
        first_keys = {p.split(".")[0] for _, p in tables[stream]}
        for field in sorted(props - first_keys):
            if (stream, field) in documented:
                if not quiet:
                    print(f"{stream}.{field}: in {'/'.join(names)}, not a column (documented)")
            else:
                print(f"{stream}.{field}: in {'/'.join(names)}, not a column, and docs/tables.md "
                      "does not say why")
                undocumented += 1
        for col, p in tables[stream]:
            if p.split(".")[0] not in props and not quiet:
                print(f"{stream}.{col}: a column, not in {'/'.join(names)}")
    print(f"{len([s for s in tables if s in STREAM_SCHEMAS])} tables checked against "
          f"{os.path.basename(path)}: {undocumented} undocumented difference(s)")
    return 1 if undocumented else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
