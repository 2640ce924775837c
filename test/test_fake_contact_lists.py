"""The fake's GET /contacts/{id}/notes and /contacts/{id}/subscriptions
(fake_contact_lists.py) against Intercom's 2.16 OpenAPI description: their
envelopes, their paging, their agreement with what each contact inlines,
and the 404 of an unknown contact."""

import unittest
from urllib.parse import urlsplit

from test_fake_intercom import FakeCase


class TestContactNotes(FakeCase):
    def test_notes_agree_with_the_contact(self):
        contacts = self.dump("contacts")
        with_notes = [c for c in contacts if c["notes"]["total_count"] > 0]
        without = [c for c in contacts if c["notes"]["total_count"] == 0]
        self.assertTrue(with_notes and without)
        for c in with_notes[:5] + without[:2]:
            d = self.get(f"/contacts/{c['id']}/notes")
            self.assertEqual(set(d), {"type", "data", "total_count", "pages"})
            self.assertEqual((d["type"], d["total_count"]), ("list", c["notes"]["total_count"]))
            self.assertEqual(d["pages"], {"type": "pages", "next": None, "page": 1, "per_page": 50,
                                          "total_pages": 1})
            self.assertEqual(sorted(n["id"] for n in d["data"]), sorted(r["id"] for r in c["notes"]["data"]))
            for n in d["data"]:
                self.assertEqual(set(n), {"type", "id", "created_at", "contact", "author", "body"})
                self.assertEqual((n["type"], n["contact"]), ("note", {"type": "contact", "id": c["id"]}))
                self.assertEqual(n["author"]["type"], "admin")
                self.assertTrue(c["created_at"] <= n["created_at"] <= max(c["updated_at"], c["created_at"]))
            times = [n["created_at"] for n in d["data"]]
            self.assertEqual(times, sorted(times, reverse=True))        # newest first
        rows = self.dump("contact_notes")
        self.assertEqual(len(rows), sum(c["notes"]["total_count"] for c in contacts))
        self.assertEqual(len({r["id"] for r in rows}), len(rows))       # a note belongs to one contact
        self.assertTrue(all(r["contact_id"] == r["contact"]["id"] for r in rows))

    def test_many_notes_page_by_number(self):
        c = self.dump("contacts")[3]
        self.ctl("many-notes", c["id"], "120")
        c = [x for x in self.dump("contacts") if x["id"] == c["id"]][0]
        self.assertEqual((len(c["notes"]["data"]), c["notes"]["total_count"], c["notes"]["has_more"]),
                         (10, 120, True))
        seen, page = [], 1
        while True:
            d = self.get(f"/contacts/{c['id']}/notes" + (f"?page={page}" if page > 1 else ""))
            self.assertEqual((d["total_count"], d["pages"]["page"], d["pages"]["total_pages"]), (120, page, 3))
            seen += [n["id"] for n in d["data"]]
            if d["pages"]["next"] is None:
                break
            self.assertEqual(len(d["data"]), 50)
            nxt = urlsplit(d["pages"]["next"])
            self.assertEqual((nxt.path, nxt.query), (f"/contacts/{c['id']}/notes", f"per_page=50&page={page + 1}"))
            page += 1
        self.assertEqual((page, len(seen), len(set(seen))), (3, 120, 120))
        self.assertTrue({r["id"] for r in c["notes"]["data"]} <= set(seen))
        self.assertEqual(sum(1 for r in self.dump("contact_notes") if r["contact_id"] == c["id"]), 120)
        self.assertError(self.req("GET", f"/contacts/{c['id']}/notes?per_page=51"), 400, "parameter_invalid")
        self.ctl("reset")
        self.assertLess(self.get(f"/contacts/{c['id']}/notes")["total_count"], 10)

    def test_unknown_contact(self):
        for kind in ("notes", "subscriptions"):
            r = self.req("GET", f"/contacts/0000000000000000000000ff/{kind}")
            self.assertError(r, 404, "not_found")
            self.assertEqual(r.json["errors"][0]["message"], "User Not Found")
        c = self.dump("contacts")[0]
        self.ctl("delete", "contacts", "--ids", c["id"])
        self.assertError(self.req("GET", f"/contacts/{c['id']}/subscriptions"), 404, "not_found")
        self.assertEqual(self.req("POST", f"/contacts/{c['id']}/notes", {}).status, 404)


class TestContactSubscriptions(FakeCase):
    def test_subscriptions(self):
        types = {t["id"]: t for t in self.get("/subscription_types")["data"]}
        self.assertEqual({t["consent_type"] for t in types.values()}, {"opt_in", "opt_out"})
        counts = set()
        for c in self.dump("contacts")[:12]:
            d = self.get(f"/contacts/{c['id']}/subscriptions")
            self.assertEqual(set(d), {"type", "data"})                  # no paging
            self.assertEqual(d["type"], "list")
            for s in d["data"]:
                self.assertEqual(s, types[s["id"]])                     # the workspace's type, as listed
                self.assertEqual(set(s), {"type", "id", "state", "consent_type", "default_translation",
                                          "translations", "content_types"})
            counts.add(len(d["data"]))
        self.assertEqual(counts, {0, 1, 2})                             # none, one, both
        rows = self.dump("contact_subscriptions")
        self.assertEqual(len({r["id"] for r in rows}), len(rows))
        for r in rows[:20]:
            self.assertEqual(r["id"], f"{r['contact_id']}/{r['subscription_type_id']}")
            self.assertEqual({k: v for k, v in r.items() if k not in ("id", "contact_id", "subscription_type_id")},
                             {k: v for k, v in types[r["subscription_type_id"]].items() if k != "id"})


if __name__ == "__main__":
    unittest.main()
