"""The fake Intercom's write endpoints (intercom_fdw's INSERT, UPDATE, DELETE).

As Intercom's 2.16 OpenAPI description says: the request bodies
(update_contact_request, create_or_update_company_request,
update_company_request, create_or_update_tag_request,
update_ticket_request, update_conversation_request, the conversation part
requests), the answers (the record written; a tag for a tag attached or
detached; {"id","object","deleted"} for a contact deleted) and the errors
(404 not_found "User Not Found" / "Resource Not Found", 400
parameter_invalid for a member that is not writable or a custom attribute
that does not exist or is not api_writable, admin_not_found ...).

A write changes the store's overlay (Store.overrides, like /_fake/mutate)
under the state lock: the record's updated_at moves to now, so reads,
searches and incremental copies see it.  /_fake/reset discards it.
"""

import copy
import time

CONTACT_WRITABLE = {"role", "external_id", "email", "email_verified", "phone", "name", "avatar",
                    "signed_up_at", "last_seen_at", "owner_id", "unsubscribed_from_emails",
                    "custom_attributes"}
COMPANY_UPDATE = {"name", "plan", "size", "website", "industry", "custom_attributes", "monthly_spend"}
COMPANY_CREATE = COMPANY_UPDATE | {"company_id", "remote_created_at", "update_last_request_at"}
TICKET_WRITABLE = {"ticket_attributes", "ticket_state_id", "company_id", "open", "is_shared",
                   "snoozed_until", "admin_id", "assignee_id"}
CONVERSATION_WRITABLE = {"read", "title", "custom_attributes", "company_id"}
PART_TYPES = {"close", "open", "snoozed", "assignment"}


def route(handler, fi, method, parts, body):
    """(status, body) of a write endpoint, or None for another route."""
    n = len(parts)
    if method == "GET" or (n == 2 and parts[1] == "search"):
        return None
    w = Writer(handler, fi, body if isinstance(body, dict) else {})
    if parts[0] == "contacts":
        if n == 3 and parts[2] in ("tags", "companies") and method == "POST":
            return w.contact_link(parts[1], parts[2], w.need_str("id"), attach=True)
        if n == 4 and parts[2] in ("tags", "companies") and method == "DELETE":
            return w.contact_link(parts[1], parts[2], parts[3], attach=False)
        if n == 2 and method == "PUT":
            return w.update_contact(parts[1])
        if n == 2 and method == "DELETE":
            return w.delete_contact(parts[1])
    if parts[0] == "conversations":
        if n == 3 and parts[2] == "tags" and method == "POST":
            return w.conversation_tag(parts[1], w.need_str("id"), attach=True)
        if n == 4 and parts[2] == "tags" and method == "DELETE":
            return w.conversation_tag(parts[1], parts[3], attach=False)
        if n == 3 and parts[2] == "parts" and method == "POST":
            return w.conversation_part(parts[1])
        if n == 2 and method == "PUT":
            return w.update_conversation(parts[1])
    if parts == ["companies"] and method == "POST":
        return w.upsert_company()
    if parts[0] == "companies" and n == 2 and method == "PUT" and parts[1] not in ("scroll", "list"):
        return w.update_company(parts[1])
    if parts == ["tags"] and method == "POST":
        return w.create_tag()
    if parts[0] == "tickets" and n == 2 and method == "PUT":
        return w.update_ticket(parts[1])
    return None


def set_attribute(store, body):
    """Control (/_fake/attribute, fakectl attribute): change a data
    attribute's api_writable, to test writes Intercom refuses.  Caller holds
    the state lock; reset discards it."""
    model, name = body["model"], body["name"]
    for a in store.gen.attributes(model):
        if a["name"] == name and a.get("custom"):
            key = (model, a["name"], a.get("id"))
            store.attr_overrides = dict(store.attr_overrides)
            store.attr_overrides[key] = dict(store.attr_overrides.get(key, a),
                                             api_writable=bool(body.get("api_writable", True)))
            store.generation += 1
            return {"ok": True}
    raise KeyError(f"no custom {model} attribute {name}")


class Writer:
    def __init__(self, handler, fi, body):
        self.h, self.fi, self.body = handler, fi, body
        self.st = handler.state
        self.now = int(time.time())

    # --- helpers ------------------------------------------------------------------
    def bad(self, msg, code="parameter_invalid", status=400):
        raise self.fi.ApiError(status, code, msg)

    def need_str(self, key):
        v = self.body.get(key)
        if not isinstance(v, str) or not v:
            self.bad(f"{key} is required", "parameter_not_found")
        return v

    def index(self, store, stream, id_, message):
        i = store.index_of(stream, id_)
        if i is None:
            raise self.fi.ApiError(404, "not_found", message)
        return i

    def only(self, allowed):
        for k in self.body:
            if k not in allowed:
                self.bad(f"{k} is not a writable attribute")

    def admin(self, store, required=True):
        a = self.body.get("admin_id")
        if a is None and not required:
            return None
        if a is None:
            self.bad("admin_id is required", "parameter_not_found")
        if store.index_of("admins", str(a)) is None:
            raise self.fi.ApiError(404, "admin_not_found", "Admin not found")
        return str(a)

    def check_custom(self, store, model, values):
        """custom_attributes: each must exist, be api_writable and hold its type."""
        if not isinstance(values, dict):
            self.bad("custom_attributes must be an object")
        if model == "conversation":
            attrs = {a["name"]: a for a in store.gen.attributes("conversation") if a.get("custom")}
        else:
            attrs = {a["name"]: a for a in store.attributes(model) if a.get("custom")}
        for k, v in values.items():
            a = attrs.get(k)
            if a is None:
                self.bad(f"Custom attribute '{k}' does not exist")
            if not a["api_writable"]:
                self.bad(f"Custom attribute '{k}' is not writable")
            ok = {"string": lambda x: isinstance(x, str), "boolean": lambda x: isinstance(x, bool),
                  "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
                  "float": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
                  "date": lambda x: isinstance(x, int) and not isinstance(x, bool)}[a["data_type"]]
            if v is not None and not ok(v):
                self.bad(f"Custom attribute '{k}' must be a {a['data_type']}")

    def write(self, stream, i, rec):
        """Install rec as record i (caller holds the lock), updated now."""
        store = self.st.store
        store.generation += 1
        store.cow(stream)
        if "updated_at" in rec:
            rec["updated_at"] = max(self.now, rec.get("updated_at") or 0)
        store.overrides[stream][i] = rec
        store.rcache.forget(stream, i)

    def fresh(self):
        """A snapshot after the write, to render the answer from."""
        with self.st.lock:
            self.h.snap = self.st.store.snapshot()
        return self.h.snap

    # --- links ---------------------------------------------------------------------
    def contact_link(self, cid, kind, child, attach):
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "contacts", cid, "User Not Found")
            child_stream = "tags" if kind == "tags" else "companies"
            j = s.index_of(child_stream, child)
            if j is None:
                raise self.fi.ApiError(404, "not_found" if kind == "tags" else "company_not_found",
                                       "Resource Not Found" if kind == "tags" else "Company Not Found")
            rec = copy.deepcopy(s.get("contacts", i))
            full = s.gen.long_lists.get(i)
            refs = list((full[0] if kind == "tags" else full[1]) if full else rec[kind]["data"])
            present = any(r["id"] == child for r in refs)
            if attach and not present:
                refs.append({"type": kind[:-1] if kind == "tags" else "company", "id": child,
                             "url": f"/{child_stream}/{child}"})
            elif not attach and present:
                refs = [r for r in refs if r["id"] != child]
            rec[kind] = dict(rec[kind], data=refs[:10], total_count=len(refs), has_more=len(refs) > 10)
            if full or len(refs) > 10:
                other = (full[1] if kind == "tags" else full[0]) if full else rec[
                    "companies" if kind == "tags" else "tags"]["data"]
                s.gen.long_lists[i] = (refs, other) if kind == "tags" else (other, refs)
            if attach != present:
                self.write("contacts", i, rec)
            child_rec = s.get(child_stream, j)
        if kind == "tags":
            return 200, dict(child_rec, applied_at=self.now,
                             applied_by={"type": "admin", "id": self.st.store.gen.admin_id(0)})
        return 200, self.fresh().ref("companies", j, self.h.ver)

    def conversation_tag(self, conv_id, tag_id, attach):
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "conversations", conv_id, "Resource Not Found")
            admin = self.admin(s)
            j = self.index(s, "tags", tag_id, "Resource Not Found")
            rec = copy.deepcopy(s.get("conversations", i))
            tags = rec["tags"]["tags"]
            present = any(t["id"] == tag_id for t in tags)
            tag = s.get("tags", j)
            if attach and not present:
                tags.append({"type": "tag", "id": tag_id, "name": tag["name"], "applied_at": self.now,
                             "applied_by": {"type": "admin", "id": admin}})
            elif not attach and present:
                rec["tags"]["tags"] = [t for t in tags if t["id"] != tag_id]
            if attach != present:
                self.write("conversations", i, rec)
        return 200, dict(tag)

    # --- contacts ------------------------------------------------------------------
    def update_contact(self, cid):
        self.only(CONTACT_WRITABLE)
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "contacts", cid, "User Not Found")
            b = self.body
            if "owner_id" in b and b["owner_id"] is not None and (
                    not isinstance(b["owner_id"], int) or s.index_of("admins", str(b["owner_id"])) is None):
                self.bad("owner_id must be the id of an admin")
            if "custom_attributes" in b:
                self.check_custom(s, "contact", b["custom_attributes"])
            rec = copy.deepcopy(s.get("contacts", i))
            for k, v in b.items():
                if k == "custom_attributes":
                    rec["custom_attributes"] = dict(rec["custom_attributes"], **v)
                elif k == "email":
                    rec["email"], rec["email_domain"] = v, (v.split("@")[1] if v and "@" in v else None)
                elif k in rec:
                    rec[k] = v
            self.write("contacts", i, rec)
        return 200, self.fresh().ref("contacts", i, self.h.ver)

    def delete_contact(self, cid):
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "contacts", cid, "User Not Found")
            s.generation += 1
            s.cow("contacts")
            s.deleted["contacts"].add(i)
        return 200, {"id": cid, "object": "contact", "deleted": True}

    # --- companies -----------------------------------------------------------------
    def apply_company(self, s, rec, b):
        if "custom_attributes" in b:
            self.check_custom(s, "company", b["custom_attributes"])
            rec["custom_attributes"] = dict(rec["custom_attributes"], **b["custom_attributes"])
        for k, v in b.items():
            if k == "plan":
                rec["plan"] = {"type": "plan", "id": str(269315 + len(v or "") % 3), "name": v} if v else {}
            elif k in ("custom_attributes", "update_last_request_at"):
                continue
            else:
                rec[k] = v

    def update_company(self, id_):
        self.only(COMPANY_UPDATE)
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "companies", id_, "Company Not Found")
            rec = copy.deepcopy(s.get("companies", i))
            self.apply_company(s, rec, self.body)
            self.write("companies", i, rec)
        return 200, self.fresh().ref("companies", i, self.h.ver)

    def upsert_company(self):
        """POST /companies: update the company with this company_id, else create it."""
        self.only(COMPANY_CREATE)
        ext = self.need_str("company_id")
        with self.st.lock:
            s = self.st.store
            found = [i for i in s.indexes("companies", exotic=False) if s.get("companies", i)["company_id"] == ext]
            if found:
                i = found[0]
                rec = copy.deepcopy(s.get("companies", i))
            else:
                s.cow("companies")
                i = s.size("companies")
                s.created["companies"] += 1
                rec = copy.deepcopy(s.get("companies", i))
                rec.update(created_at=self.now, updated_at=self.now, user_count=0, session_count=0,
                           name=None, website=None, industry=None, size=None, monthly_spend=0,
                           plan={}, custom_attributes={}, remote_created_at=None, last_request_at=None,
                           tags={"type": "tag.list", "tags": []},
                           segments={"type": "segment.list", "segments": []})
            self.apply_company(s, rec, self.body)
            self.write("companies", i, rec)
        return 200, self.fresh().ref("companies", i, self.h.ver)

    # --- tags --------------------------------------------------------------------------
    def create_tag(self):
        """POST /tags: the tag of this name (its name updated when an id is given), else a new one."""
        self.only({"name", "id"})
        name = self.need_str("name")
        with self.st.lock:
            s = self.st.store
            for i in s.indexes("tags"):
                if s.get("tags", i)["name"] == name:
                    return 200, s.get("tags", i)
            s.generation += 1
            s.cow("tags")
            i = s.size("tags")
            s.created["tags"] += 1
            rec = dict(s.get("tags", i), name=name)
            s.overrides["tags"][i] = rec
        return 200, rec

    # --- tickets -----------------------------------------------------------------------
    def update_ticket(self, tid):
        self.only(TICKET_WRITABLE)
        fm = self.fi.fake_more
        counts = fm.COUNTS[self.st.args.dataset]
        b = self.body
        with self.st.lock:
            s = self.st.store
            try:
                i = int(tid) - 630
            except ValueError:
                i = -1
            if not 0 <= i < counts["tickets"]:
                raise self.fi.ApiError(404, "ticket_not_found", "Ticket not found")
            g = fm.MoreGen(self.fi, s.gen, counts, s.ticket_changes)
            t = g.ticket(i)
            if "ticket_state_id" in b and not any(
                    x["id"] == str(b["ticket_state_id"]) for x in t["ticket_type"]["ticket_states"]["data"]):
                self.bad(f"ticket_state_id {b['ticket_state_id']} is not a state of this ticket's type")
            if "assignee_id" in b:
                self.admin(s)
            old = s.ticket_changes.get(i, {})
            fields = dict(old.get("fields", {}))
            for k, v in b.items():
                if k == "ticket_attributes":
                    fields["ticket_attributes"] = dict(fields.get("ticket_attributes", {}), **v)
                elif k != "admin_id":
                    fields[k] = v
            s.generation += 1
            s.ticket_changes = dict(s.ticket_changes)
            s.ticket_changes[i] = dict(old, updated_at=self.now, fields=fields,
                                       mark=old.get("mark", False), added_at=old.get("added_at", []))
            g = fm.MoreGen(self.fi, s.gen, counts, s.ticket_changes)
            return 200, g.ticket_full(i)

    # --- conversations -------------------------------------------------------------------
    def conversation_part(self, conv_id):
        b = self.body
        kind = b.get("message_type")
        if kind not in PART_TYPES:
            self.bad(f"message_type must be one of {', '.join(sorted(PART_TYPES))}")
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "conversations", conv_id, "Resource Not Found")
            self.admin(s)
            rec = copy.deepcopy(s.get("conversations", i))
            if kind == "close":
                rec.update(state="closed", open=False, snoozed_until=None, waiting_since=None)
            elif kind == "open":
                rec.update(state="open", open=True, snoozed_until=None)
            elif kind == "snoozed":
                until = b.get("snoozed_until")
                if not isinstance(until, int) or isinstance(until, bool):
                    self.bad("snoozed_until is required", "parameter_not_found")
                rec.update(state="snoozed", open=True, snoozed_until=until)
            else:
                who = b.get("type")
                if who not in ("admin", "team"):
                    self.bad("type must be admin or team")
                a = str(b.get("assignee_id") or "0")
                if who == "admin":
                    if a != "0" and s.index_of("admins", a) is None:
                        raise self.fi.ApiError(404, "admin_not_found", "Admin not found")
                    rec["admin_assignee_id"] = int(a) if a != "0" else None
                else:
                    if a != "0" and s.index_of("teams", a) is None:
                        raise self.fi.ApiError(404, "team_not_found", "Team not found")
                    rec["team_assignee_id"] = int(a) if a != "0" else None
            # a visible part, written now
            rec["_nparts"] += 1
            rec["_added_parts_at"] = rec.get("_added_parts_at", []) + [self.now]
            rec["_added_part_types"] = rec.get("_added_part_types", []) + [kind]
            if rec.get("statistics"):
                rec["statistics"] = dict(rec["statistics"], count_conversation_parts=rec["_nparts"])
            self.write("conversations", i, rec)
        return 200, self.fresh().ref("conversation_full", i, self.h.ver)

    def update_conversation(self, conv_id):
        self.only(CONVERSATION_WRITABLE)
        with self.st.lock:
            s = self.st.store
            i = self.index(s, "conversations", conv_id, "Resource Not Found")
            if "custom_attributes" in self.body:
                self.check_custom(s, "conversation", self.body["custom_attributes"])
            rec = copy.deepcopy(s.get("conversations", i))
            for k, v in self.body.items():
                if k == "custom_attributes":
                    rec["custom_attributes"] = dict(rec["custom_attributes"], **v)
                elif k != "company_id":
                    rec[k] = v
            self.write("conversations", i, rec)
        return 200, self.fresh().ref("conversation_full", i, self.h.ver)
