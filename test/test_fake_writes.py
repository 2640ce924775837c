#!/usr/bin/env python3
"""Tests of the fake Intercom's write endpoints (test/fake_writes.py): the
answers and errors of Intercom's 2.16 OpenAPI description, the change
visible to reads afterwards (updated_at moves), and the write faults
(drop: done, then the connection lost; stall: nothing done).

    python3 -m unittest discover -s test -p 'test_fake_writes.py' -v
"""

import http.client
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fake_intercom import FakeCase  # noqa: E402

ADMIN = "991267400"


class WriteTests(FakeCase):
    def first_contact(self):
        return self.get("/contacts?per_page=1")["data"][0]

    def test_attach_and_detach_a_tag(self):
        c = self.first_contact()
        before = time.time() - 1
        tag = self.post(f"/contacts/{c['id']}/tags", {"id": "105"})
        self.assertEqual((tag["type"], tag["id"]), ("tag", "105"))
        after = self.get(f"/contacts/{c['id']}")
        self.assertIn("105", [t["id"] for t in after["tags"]["data"]])
        self.assertGreaterEqual(after["updated_at"], before)
        r = self.req("DELETE", f"/contacts/{c['id']}/tags/105")
        self.assertEqual(r.status, 200)
        self.assertNotIn("105", [t["id"] for t in self.get(f"/contacts/{c['id']}")["tags"]["data"]])
        rows = [x for x in self.dump("contact_tags") if x["contact_id"] == c["id"]]
        self.assertNotIn("105", [x["tag_id"] for x in rows])

    def test_unknown_tag_and_contact(self):
        c = self.first_contact()
        self.assertError(self.req("POST", f"/contacts/{c['id']}/tags", {"id": "999"}), 404, "not_found")
        self.assertError(self.req("POST", "/contacts/nope/tags", {"id": "105"}), 404, "not_found")

    def test_put_contact_only_writable_members(self):
        c = self.first_contact()
        r = self.req("PUT", f"/contacts/{c['id']}", {"name": "N", "custom_attributes": {"seats": 3}})
        self.assertEqual(r.status, 200)
        self.assertEqual((r.json["name"], r.json["custom_attributes"]["seats"]), ("N", 3))
        self.assertError(self.req("PUT", f"/contacts/{c['id']}", {"created_at": 1}), 400, "parameter_invalid")
        self.assertError(self.req("PUT", f"/contacts/{c['id']}", {"custom_attributes": {"nope": 1}}),
                         400, "parameter_invalid")
        self.assertError(self.req("PUT", f"/contacts/{c['id']}", {"custom_attributes": {"seats": "x"}}),
                         400, "parameter_invalid")
        # the change is what search finds
        hits = self.search("contacts", {"field": "name", "operator": "=", "value": "N"})
        self.assertEqual([h["id"] for h in hits], [c["id"]])

    def test_tags_and_companies_upsert(self):
        a = self.post("/tags", {"name": "made here"})
        b = self.post("/tags", {"name": "made here"})
        self.assertEqual(a["id"], b["id"])
        self.assertIn("made here", [t["name"] for t in self.get("/tags")["data"]])
        x = self.post("/companies", {"company_id": "up-1", "name": "One"})
        y = self.post("/companies", {"company_id": "up-1", "name": "Two"})
        self.assertEqual((x["id"], y["name"]), (y["id"], "Two"))
        self.assertError(self.req("POST", "/companies", {"name": "no id"}), 400, "parameter_not_found")

    def test_conversation_parts_and_tags(self):
        r = self.post("/conversations/100000/parts", {"message_type": "close", "type": "admin", "admin_id": ADMIN})
        self.assertEqual((r["state"], r["open"]), ("closed", False))
        self.assertEqual(r["conversation_parts"]["conversation_parts"][-1]["part_type"], "close")
        self.assertError(self.req("POST", "/conversations/100000/parts", {"message_type": "open"}),
                         400, "parameter_not_found")
        self.assertError(self.req("POST", "/conversations/100000/parts",
                                  {"message_type": "open", "admin_id": "1"}), 404, "admin_not_found")
        self.post("/conversations/100000/tags", {"id": "103", "admin_id": ADMIN})
        self.assertIn("103", [t["id"] for t in self.get("/conversations/100000")["tags"]["tags"]])

    def test_put_ticket(self):
        t = self.req("PUT", "/tickets/631", {"open": False, "is_shared": True})
        self.assertEqual(t.status, 200)
        found = [x for x in self.dump("tickets") if x["id"] == "631"][0]
        self.assertEqual((found["open"], found["is_shared"]), (False, True))
        self.assertError(self.req("PUT", "/tickets/631", {"ticket_state_id": "x"}), 400, "parameter_invalid")

    def test_delete_contact(self):
        c = self.first_contact()
        r = self.req("DELETE", f"/contacts/{c['id']}")
        self.assertEqual(r.json, {"id": c["id"], "object": "contact", "deleted": True})
        self.assertError(self.req("GET", f"/contacts/{c['id']}"), 404, "not_found")

    def test_write_faults(self):
        # drop: the write is done, the answer lost
        self.ctl("fault", "drop", "--path", "/tags", "--method", "POST")
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.req("POST", "/tags", {"name": "dropped"})
        self.assertIn("dropped", [t["name"] for t in self.get("/tags")["data"]])
        # stall: no answer, nothing done
        self.ctl("fault", "stall", "--path", "/tags", "--method", "POST", "--delay-ms", "100")
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.req("POST", "/tags", {"name": "stalled"})
        self.assertNotIn("stalled", [t["name"] for t in self.get("/tags")["data"]])


if __name__ == "__main__":
    unittest.main()
