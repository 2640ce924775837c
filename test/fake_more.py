"""The fake's full-refresh streams beyond the original eleven: ticket types,
subscription types, help center articles and collections, and the 2.16
conversation attributes endpoint.

Kept apart from fake_intercom.py so that file's generators and routes stay as
they are.  Records are pure functions of (seed, stream, i) like the rest of
the fake; shapes follow the OpenAPI description (reference/intercom-openapi):
  GET /ticket_types               {"type":"list","data":[ticket_type]}
  GET /ticket_types/{id}          ticket_type
  GET /ticket_states              {"type":"list","data":[ticket_state_detailed]}:
                                  every state of every ticket type, each with
                                  {"type":"list","data":[ticket_type]} of the
                                  types that use it (without their states)
  GET /subscription_types         {"type":"list","data":[subscription_type]}
  GET /macros                     2.16: {"type":"list","data":[macro],"pages":
                                  {"type","per_page","next":{"starting_after"}}}:
                                  newest updated_at first (ties: id), cursor =
                                  base64 JSON [updated_at, id], updated_since
                                  (exclusive), per_page 1..150 (default 50);
                                  dates as ISO strings
  GET /macros/{id}                macro
  GET /articles                   article_list: page-numbered (page, per_page),
                                  pages {type,page,per_page,total_pages,next?}
  GET /articles/{id}              article
  GET /help_center/collections    collection_list, paged as articles
  GET /help_center/collections/{id}  collection
  GET /conversations/attributes   {"type":"list","data":[conversation_attribute]}
                                  from 2.16 (older versions: 400, as
                                  /conversations/deleted), include_archived
  POST /tickets/search            ticket_list {"type":"ticket.list","tickets",
                                  "total_count","pages"}: the query language of
                                  conversations (dates to the second), cursor
                                  paging in the body, newest updated_at first;
                                  tickets in results carry no ticket_parts
  GET /admins/activity_logs       activity_log_list {"type":"activity_log.list",
                                  "activity_logs","pages"}: created_at_after
                                  (required) < created_at < created_at_before,
                                  newest first, page-numbered like articles
  GET /contacts/{id}/tags         {"type":"list","data":[tag]}: every tag, also
                                  past the 10 a contact inlines
  GET /contacts/{id}/companies    {"type":"list","data":[company],"pages",
                                  "total_count"}: every company, 50 a page (?page=N)
  GET /contacts/{id}/notes, .../subscriptions: fake_contact_lists.py
  GET /tickets/{id}               ticket with ticket_parts {"type":
                                  "ticket_part.list","ticket_parts","total_count"}:
                                  at most the 500 most recent, as conversations
Lists are in descending updated_at order, as the API documents for articles
and collections; ties by id.
"""

import time

import fake_contact_lists

T_2019 = 1546300800
DAY = 86400

# per dataset: records of each stream
COUNTS = {
    "small": dict(ticket_types=3, subscription_types=2, articles=23, help_center_collections=7, tickets=17,
                  activity_logs=41, macros=13),
    "demo": dict(ticket_types=5, subscription_types=3, articles=120, help_center_collections=20, tickets=200,
                 activity_logs=300, macros=40),
    "bench": dict(ticket_types=8, subscription_types=4, articles=500, help_center_collections=40, tickets=2000,
                  activity_logs=3000, macros=200),
}
STREAMS = ("activity_logs", "articles", "conversation_attributes", "help_center_collections",
           "macros", "subscription_types", "ticket_parts", "ticket_states", "ticket_types", "tickets",
           "contact_tags", "contact_companies", "company_tags", "conversation_tags",
           "conversation_contacts", "team_admins")
PARTS_CAP = 500
TICKET_DATE = {"created_at", "updated_at", "snoozed_until"}
TICKET_STRING = {"id", "ticket_id", "category", "ticket_type_id", "ticket_state", "ticket_state_category"}
TICKET_BOOL = {"open", "is_shared"}
TICKET_INT = {"admin_assignee_id", "team_assignee_id"}
WORKSPACE = "fakeapp1"


class MoreGen:
    def __init__(self, fi, gen, counts, ticket_changes=None):
        """fi: the fake_intercom module (Rng helpers, NASTY); gen: its Generator;
        ticket_changes: the store's ticket mutations (mutate_ticket)."""
        self.fi, self.gen, self.counts = fi, gen, counts
        self.ticket_changes = ticket_changes or {}

    def rng(self, kind, i):
        return self.fi.rng_for(self.gen.seed, kind, i)

    # --- ticket types -----------------------------------------------------------
    def ticket_type(self, i):
        r = self.rng("ticket_type", i)
        c = T_2019 + 200 * DAY + i * 7919
        tid = str(60 + i)
        names = ["Bug Report", "Feature «request»", "Billing \"dispute\"", "Back\\office", "工单"]
        states = [{"type": "ticket_state", "id": str(8300 + 10 * i + k), "category": cat,
                   "internal_label": lab, "external_label": lab if k != 2 else "Waiting on you"}
                  for k, (cat, lab) in enumerate([("submitted", "Submitted"), ("in_progress", "In progress"),
                                                  ("waiting_on_customer", "Waiting on customer"),
                                                  ("resolved", "Resolved")])]
        attrs = [{"type": "ticket_type_attribute", "id": str(160 + 10 * i + k), "workspace_id": WORKSPACE,
                  "name": n, "description": "" if k else "the title", "data_type": dt,
                  "input_options": {"multiline": k == 1} if dt == "string" else None,
                  "order": k, "required_to_create": k == 0, "required_to_create_for_contacts": False,
                  "visible_on_create": True, "visible_to_contacts": k != 2, "default": k < 2,
                  "ticket_type_id": 60 + i, "archived": False, "created_at": c, "updated_at": c + k}
                 for k, (n, dt) in enumerate([("_default_title_", "string"), ("_default_description_", "string"),
                                              ("severity", "list")])]
        return {
            "type": "ticket_type", "id": tid,
            "category": ["Customer", "Back-office", "Tracker"][i % 3],
            "name": names[i % len(names)], "description": None if i == 2 else f"Template {i}\nline two",
            "icon": ["🎟️", "🐞", "💸", "📦", "🧾"][i % 5], "workspace_id": WORKSPACE,
            "ticket_type_attributes": {"type": "list", "data": attrs},
            "ticket_states": {"type": "list", "data": states},
            "archived": i == 1, "created_at": c, "updated_at": c + r.randint(0, 90 * DAY),
            "is_internal": i % 3 == 1,
        }

    def ticket_states(self):
        """GET /ticket_states: the states of every ticket type, in id order;
        the last state of type 0 is archived (still listed, as Intercom does)."""
        out = []
        for i in range(self.counts["ticket_types"]):
            tt = self.ticket_type(i)
            ref = {k: v for k, v in tt.items() if k not in ("ticket_states", "ticket_type_attributes")}
            for k, st in enumerate(tt["ticket_states"]["data"]):
                out.append(dict(st, archived=(i == 0 and k == 3),
                                ticket_types={"type": "list", "data": [ref]}))
        return out

    # --- macros (2.16) -------------------------------------------------------------
    def macro(self, i):
        """Macro i; several share an updated_at second (cursor ties by id)."""
        r = self.rng("macro", i)
        c = T_2019 + 400 * DAY + i * 86399
        u = c + (0 if i % 4 == 0 else r.randint(1, 600 * DAY))
        if i % 5 == 3:
            u = T_2019 + 1200 * DAY            # a second shared by several macros
        nt = self.gen.counts["teams"]
        teams = [str(self.gen.team_id(k % nt)) for k in (i, i + 1)] if nt and i % 3 == 2 else []
        name = self.fi.nasty_or(r, f"Macro {i}", 0.3)
        return {
            "type": "macro", "id": str(900 + i), "name": name,
            "body": f"<p>Hi <attribute key=\"user.name\" default=\"there\"/>, about «{i}»</p>",
            "body_text": f"Hi {{{{user.name|fallback:\"there\"}}}}, about «{i}»",
            "created_at": iso_ms(c), "updated_at": iso_ms(u),
            "visible_to": "specific_teams" if teams else "everyone", "visible_to_team_ids": teams,
            "available_on": [["inbox"], ["inbox", "messenger"]][i % 2],
        }

    def macros_sorted(self):
        """Every macro, newest updated_at first, ties by id (the listing's order)."""
        return sorted((self.macro(i) for i in range(self.counts["macros"])),
                      key=lambda m: (m["updated_at"], int(m["id"])), reverse=True)

    # --- subscription types ---------------------------------------------------------
    def subscription_type(self, i):
        names = [("Newsletter", "Monthly news ✉️"), ("Product \"updates\"", "What's new\nin the product")]
        name, desc = names[i % len(names)] if i < len(names) else (f"Topic {i}", "")
        tr = {"name": name, "description": desc, "locale": "en"}
        return {
            "type": "subscription", "id": str(130 + i), "state": ["live", "draft", "archived"][i % 3],
            "default_translation": tr,
            "translations": [tr] + ([{"name": f"{name} (fr)", "description": "Nouvelles", "locale": "fr"}]
                                    if i % 2 == 0 else []),
            "consent_type": ["opt_out", "opt_in"][i % 2],
            "content_types": [["email"], ["email", "sms_message"]][i % 2],
        }

    # --- help center -------------------------------------------------------------
    def collection(self, i):
        r = self.rng("hc_collection", i)
        c = T_2019 + 300 * DAY + i * 86413
        top = i < 3
        return {
            "id": str(150 + i), "workspace_id": WORKSPACE,
            "name": self.fi.nasty_or(r, f"Collection {i}", 0.4),
            "description": None if i % 4 == 3 else ("" if i % 4 == 2 else f"About «{i}»"),
            "created_at": c, "updated_at": c + r.randint(0, 400 * DAY),
            "url": None if i == 5 else f"http://help-center.test/fakeapp1/collection-{150 + i}",
            "icon": "bookmark" if i % 2 else "book-bookmark",
            "order": i % 5, "default_locale": "en",
            "translated_content": None if i % 3 else {"type": "group_translated_content",
                                                      "fr": {"type": "group_content", "name": f"Collection {i} (fr)",
                                                             "description": ""}},
            "parent_id": None if top else str(150 + i % 3),
            "help_center_id": 79 if top else None,
        }

    def article(self, i):
        r = self.rng("article", i)
        c = T_2019 + 100 * DAY + i * 43201
        na = max(self.gen.counts["admins"], 1)
        nc = max(self.counts["help_center_collections"], 1)
        nt = self.gen.counts["tags"]
        draft = i % 5 == 4
        tags = [{"type": "tag", "id": str(100 + t), "name": self.gen.tag(t)["name"]}
                for t in sorted({r.randrange(nt) for _ in range(r.randint(0, 2))})] if nt else []
        return {
            "type": "article", "id": str(39 + i), "workspace_id": WORKSPACE,
            "title": self.fi.nasty_or(r, f"How to do thing {i}", 0.3),
            "description": None if i % 6 == 5 else ("" if i % 6 == 4 else f"Short «{i}» description"),
            "body": None if draft and i % 2 else f"<p>Body {i} 🎉 \"quoted\" back\\slash</p>\n<p>two</p>",
            "body_markdown": None if i % 3 else f"Body {i}\n\n*two*",
            "author_id": int(self.gen.admin_id(i % na)), "state": "draft" if draft else "published",
            "created_at": c, "updated_at": c + r.randint(0, 500 * DAY),
            "has_unpublished_changes": i % 7 == 3,
            "draft_updated_at": (c + 3600) if i % 7 == 3 else None,
            "url": None if draft else f"http://help-center.test/fakeapp1/en/articles/{39 + i}",
            "parent_ids": [] if i % 4 == 0 else [150 + (i % nc)],
            "ai_chatbot_availability": i % 2 == 0, "ai_copilot_availability": i % 3 != 0,
            "ai_sales_agent_availability": False,
            "created_by_id": None if i % 8 == 7 else int(self.gen.admin_id(i % na)),
            "updated_by_id": None if i % 8 == 6 else int(self.gen.admin_id((i + 1) % na)),
            "exclude_from_article_suggestions": i % 9 == 0,
            "help_center_audience": None if i % 2 else "everyone",
            "scheduled_publish_at": (c + 30 * DAY) if draft else None,
            "scheduled_unpublish_at": None,
            "default_locale": "en",
            "translated_content": None if i % 3 else {"type": "article_translated_content",
                                                      "fr": {"type": "article_content", "title": f"Article {i} (fr)",
                                                             "state": "draft", "author_id": 991267400}},
            "tags": {"type": "tag.list", "tags": tags},
        }

    # --- conversation attributes (2.16 endpoint) ----------------------------------------
    def conversation_attributes(self):
        """The workspace's conversation attributes: the custom ones the 2.15
        data_attributes endpoint lists for model=conversation (same names),
        plus a list, a relationship and an archived one."""
        specs = [("Ticket Ref", "string"), ("escalated", "boolean"), ("csat", "integer"),
                 ("Priority band", "list"), ("Ref to «order»", "relationship"), ("old field", "decimal")]
        na = max(self.gen.counts["admins"], 1)
        out = []
        for k, (name, dt) in enumerate(specs):
            c = T_2019 + 1000 * DAY + 3517 * k + 90
            rec = {"type": "conversation_attribute", "id": 90 + k, "name": name,
                   "description": "" if k % 2 else f"About {name}\nline two",
                   "data_type": dt, "required": k == 0, "visible_to_team_ids": [] if k % 3 else [5017690],
                   "archived": name == "old field", "created_at": c, "updated_at": c + k * 777,
                   "admin_id": self.gen.admin_id(k % na)}
            if dt == "string":
                rec["multiline"] = False
            if dt == "list":
                rec["options"] = [{"id": f"opt-{k}-{j}", "label": lab, "archived": j == 2}
                                  for j, lab in enumerate(["low", "high ⚡", "retired"])]
            if dt == "relationship":
                rec["reference"] = {"type": "many", "object_type_id": "Order"}
            out.append(rec)
        return out

    # --- activity logs ---------------------------------------------------------------------
    def activity_log_created(self, i):
        """Five days apart; every tenth log shares the second of the one
        before it (ties at a bound)."""
        if i % 10 == 1:
            i -= 1
        return T_2019 + i * 5 * DAY + self.rng("activity_log_t", i).randrange(DAY)

    def activity_log(self, i):
        r = self.rng("activity_log", i)
        na = max(self.gen.counts["admins"], 1)
        a = self.gen.admin(i % na)
        kind = ["app_name_change", "message_state_change", "admin_login_success", "role_change",
                "conversation_topic_change", "app_data_export"][i % 6]
        c = self.activity_log_created(i)
        meta = {"before": self.fi.nasty_or(r, "before"), "after": "after"} if kind.endswith("change") else \
            ({"ip": "127.0.0.1"} if kind == "admin_login_success" else None)
        return {
            "id": f"{i:08x}-4b72-4dce-ad4f-77a786a2c136", "performed_by":
                {"type": "admin", "id": a["id"], "email": a["email"], "ip": "127.0.0.1"},
            "metadata": meta, "created_at": c, "activity_type": kind,
            "activity_description": f"{a['name']} did {kind.replace('_', ' ')} #{i}",
        }

    # --- tickets -------------------------------------------------------------------------
    def ticket_created(self, i):
        return T_2019 + 1500 * DAY + i * 50021

    def ticket_part(self, ti, j, created):
        """Parts are chronological and never updated after their ticket;
        those added by a mutation are written at its time."""
        p = self.generated_ticket_part(ti, j, created)
        added = self.ticket_changes.get(ti, {}).get("added_at", [])
        base = self.ticket_n_parts(ti) - len(added)
        if j >= base:
            p["created_at"] = p["updated_at"] = added[j - base]
        return p

    def generated_ticket_part(self, ti, j, created):
        r = self.rng(f"ticket_part{ti}", j)
        na, nt = self.gen.counts["admins"], self.gen.counts["teams"]
        pc = created + 30 + j * 61
        kinds = ["comment", "note", "assignment", "ticket_state_updated_by_admin", "ticket_attribute_updated_by_admin"]
        pt = "comment" if j == 0 else kinds[r.randrange(len(kinds))]
        assigned = None
        if pt == "assignment" and na:
            k = r.randrange(na)
            assigned = ({"type": "team", "id": str(self.gen.team_id(k % nt))} if (ti + j) % 2 and nt
                        else {"type": "admin", "id": self.gen.admin_id(k)})
        states = ["submitted", "in_progress", "waiting_on_customer", "resolved"]
        return {
            "type": "ticket_part", "id": str(900000 + ti * 1000 + j), "part_type": pt,
            "body": None if pt.startswith("ticket_") else self.fi.nasty_or(r, f"<p>Part {j} of ticket {ti}</p>"),
            "previous_ticket_state": states[j % 4], "ticket_state": states[(j + 1) % 4],
            "created_at": pc, "updated_at": pc + r.choice([0, 0, 7]),
            "assigned_to": assigned,
            "author": {"type": "admin" if j % 3 else "user", "id": self.gen.admin_id(j % max(na, 1)) if j % 3
                       else self.fi.hex24(self.gen.seed, "contact", ti % max(self.gen.counts["contacts"], 1)),
                       "name": f"Author {j}", "email": f"author{j}@example.com"},
            "attachments": [] if j % 4 else [{"type": "upload", "name": "log.txt", "url": "https://example.com/l.txt",
                                              "content_type": "text/plain", "filesize": 12}],
            "external_id": None if j % 5 else f"tp-{ti}-{j}", "redacted": j == 6,
            "app_package_code": None if j % 2 else "test-integration",
            "updated_attribute_data": {"attribute": {"type": "attribute", "id": "210", "label": "Severity",
                                                     "name": "severity"},
                                       "value": {"type": "value", "id": "high", "label": "High ⚡"}}
            if pt == "ticket_attribute_updated_by_admin" else None,
        }

    def ticket_n_parts(self, i):
        n = 520 if i == 5 else i % 7             # ticket 5 exceeds the 500-part cap
        return n + len(self.ticket_changes.get(i, {}).get("added_at", []))

    def ticket_parts(self, i):
        c = self.ticket_created(i)
        return [self.ticket_part(i, j, c) for j in range(self.ticket_n_parts(i))]

    def ticket(self, i):
        r = self.rng("ticket", i)
        c = self.ticket_created(i)
        n = self.ticket_n_parts(i)
        last = max((self.ticket_part(i, j, c)["updated_at"] for j in range(max(0, n - 2), n)), default=c)
        u = last + r.choice([0, 1, 3600])
        na, nt = self.gen.counts["admins"], self.gen.counts["teams"]
        tt = self.ticket_type(i % max(self.counts["ticket_types"], 1))
        state = tt["ticket_states"]["data"][i % 4]
        contact = self.fi.hex24(self.gen.seed, "contact", (i * 5) % max(self.gen.counts["contacts"], 1))
        change = self.ticket_changes.get(i)
        title = self.fi.nasty_or(r, f"Ticket {i}")
        if change:
            u = change["updated_at"]
            if change.get("mark", True):      # /_fake/mutate marks; a PUT writes fields
                title = f"{title or ''} (mutated)"
        rec = {
            "type": "ticket", "id": str(630 + i), "ticket_id": str(38 + i), "category": tt["category"],
            "ticket_attributes": {"_default_title_": title,
                                  "_default_description_": None if i % 3 else f"Details «{i}»\nline two"},
            "ticket_state": state, "ticket_type": tt,
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": contact,
                                                                "external_id": None if i % 2 else f"ext-{i}"}]},
            "admin_assignee_id": int(self.gen.admin_id(i % na)) if na and i % 4 else 0,
            "team_assignee_id": self.gen.team_id(i % nt) if nt and i % 3 else 0,
            "created_at": c, "updated_at": u, "open": state["category"] != "resolved",
            "snoozed_until": (u + 7200) if i % 5 == 2 else None,
            "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
            "ticket_state_internal_label": state["internal_label"],
            "ticket_state_external_label": state["external_label"],
            "is_shared": i % 2 == 0, "previous_ticket_state_id": None if i % 4 == 0 else str(8300 + (i - 1) % 4),
        }
        return apply_ticket_fields(rec, (change or {}).get("fields"))

    def ticket_full(self, i):
        t = dict(self.ticket(i))
        parts = self.ticket_parts(i)[-PARTS_CAP:]
        t["ticket_parts"] = {"type": "ticket_part.list", "ticket_parts": parts, "total_count": len(parts)}
        return t

    # --- listings ---------------------------------------------------------------------
    def records(self, stream):
        if stream == "conversation_attributes":
            return self.conversation_attributes()
        if stream == "ticket_states":
            return self.ticket_states()
        if stream == "macros":
            return self.macros_sorted()
        make = {"ticket_types": self.ticket_type, "subscription_types": self.subscription_type,
                "articles": self.article, "help_center_collections": self.collection}[stream]
        recs = [make(i) for i in range(self.counts[stream])]
        if stream in ("articles", "help_center_collections"):
            recs.sort(key=lambda x: (-x["updated_at"], int(x["id"])))
        return recs


def apply_ticket_fields(rec, fields):
    """A ticket with the fields PUT /tickets/{id} wrote (fake_writes)."""
    if not fields:
        return rec
    for k, v in fields.items():
        if k == "ticket_state_id":
            rec["previous_ticket_state_id"] = rec["ticket_state"]["id"]
            rec["ticket_state"] = next(x for x in rec["ticket_type"]["ticket_states"]["data"] if x["id"] == str(v))
            rec["open"] = rec["ticket_state"]["category"] != "resolved"
        elif k == "assignee_id":
            rec["admin_assignee_id"] = int(v) if v not in (None, "", "0") else 0
        elif k == "ticket_attributes":
            rec["ticket_attributes"] = dict(rec["ticket_attributes"], **v)
        elif k != "company_id":
            rec[k] = v
    return rec


def counts_of(handler):
    return COUNTS[handler.state.args.dataset]


class TicketSearch:
    """The conversation search language over ticket fields (dates compared
    to the second, like conversations)."""

    def __init__(self, fi, tzname):
        class S(fi.Search):
            def ftype(self, field):
                self.fields.add(field)
                if field in TICKET_DATE: return "date"
                if field in TICKET_STRING: return "string"
                if field in TICKET_BOOL: return "boolean"
                if field in TICKET_INT: return "integer"
                raise fi.bad("parameter_invalid", f"{field} is not a searchable field")

            def getter(self, field):
                if field == "ticket_type_id":
                    return lambda r: r["ticket_type"]["id"]
                if field == "ticket_state":
                    return lambda r: r["ticket_state"]["internal_label"]
                if field == "ticket_state_category":
                    return lambda r: r["ticket_state"]["category"]
                return lambda r: fi.dig(r, field)
        self.s = S("ticket", tzname, {})

    def compile(self, q):
        return self.s.compile(q)


def search_tickets(handler, fi, g, body):
    """POST /tickets/search: newest updated_at first (ties: id descending);
    starting_after holds [query hash, offset, page]."""
    if not isinstance(body, dict) or "query" not in body:
        raise fi.bad("parameter_invalid", "query is required")
    pag = body.get("pagination") or {}
    try:
        per_page = int(pag.get("per_page", 20))
    except (TypeError, ValueError):
        raise fi.bad("parameter_invalid", "per_page must be an integer")
    if per_page < 1 or per_page > 150:
        raise fi.bad("parameter_invalid", "per_page must be between 1 and 150")
    pred = TicketSearch(fi, handler.cfg["timezone"]).compile(body["query"])
    qkey = fi.json.dumps(body["query"], sort_keys=True)
    start, page = 0, 1
    if pag.get("starting_after"):
        c = fi.read_cursor(pag["starting_after"])
        if len(c) != 3 or c[0] != ["tickets", qkey]:
            fi.bad_cursor()
        start, page = int(c[1]), int(c[2]) + 1
    visible = fi.SearchVisible(handler.cfg)
    gone = handler.snap.tickets_deleted
    hits = [t for t in (g.ticket(i) for i in range(counts_of(handler)["tickets"]) if i not in gone)
            if pred(t) and visible(t)]
    hits.sort(key=lambda t: (t["updated_at"], int(t["id"])), reverse=True)
    chunk = hits[start:start + per_page]
    total = len(hits)
    pages = {"type": "pages", "page": page, "per_page": per_page,
             "total_pages": fi.math.ceil(total / per_page) if total else 0}
    if start + per_page < total:
        pages["next"] = {"per_page": per_page,
                         "starting_after": fi.make_cursor([["tickets", qkey], start + per_page, page])}
    return {"type": "ticket.list", "tickets": chunk, "total_count": total, "pages": pages}


def activity_logs(handler, fi, g, q):
    def epoch(name):
        try:
            return int(q[name])
        except ValueError:
            raise fi.bad("parameter_invalid", f"{name} must be a UNIX timestamp")
    if "created_at_after" not in q:
        raise fi.bad("parameter_not_found", "created_at_after is required")
    after = epoch("created_at_after")
    before = epoch("created_at_before") if "created_at_before" in q else None
    recs = [x for x in (g.activity_log(i) for i in range(counts_of(handler)["activity_logs"]))
            if x["created_at"] > after and (before is None or x["created_at"] < before)]
    recs.sort(key=lambda x: (-x["created_at"], x["id"]))
    extra = f"created_at_after={after}&" + (f"created_at_before={before}&" if before is not None else "")
    page, per_page = handler.page_params(q, 20, 150)
    env = handler.page_envelope(recs, page, per_page, "/admins/activity_logs", extra)
    return {"type": "activity_log.list", "activity_logs": env["data"], "pages": env["pages"]}


def contact_list(handler, fi, cid, kind, q, ver):
    """A contact's whole tag or company list (the contact inlines 10)."""
    s = handler.snap
    i = s.index_of("contacts", cid)
    if i is None:
        raise fi.ApiError(404, "not_found", "User Not Found")
    rec = s.get("contacts", i)
    full = s.gen.long_lists.get(i)
    refs = (full[0] if kind == "tags" else full[1]) if full else rec[kind]["data"]
    if kind == "tags":
        data = [dict(s.get("tags", s.index_of("tags", t["id"])), applied_at=rec["created_at"],
                     applied_by={"type": "admin", "id": s.gen.admin_id(0)}) for t in refs]
        return {"type": "list", "data": data}
    comps = [fi.render("companies", s.get("companies", s.index_of("companies", c["id"])), ver) for c in refs]
    page, per_page = handler.page_params(q, 50, 50)
    env = handler.page_envelope(comps, page, per_page, f"/contacts/{cid}/companies")
    return {"type": "list", "data": env["data"], "pages": env["pages"], "total_count": env["total_count"]}


def mutate_ticket(store, counts, body):
    """Control (/_fake/mutate with stream "tickets"): tickets are generated,
    not stored, so a mutation is an overlay of their index: updated_at (now,
    or body's), the title marked, and add_parts new parts written then.
    reset discards it.  Caller holds the state lock."""
    if "ids" in body:
        idx = [int(t) - 630 for t in body["ids"]]
        if any(i < 0 or i >= counts["tickets"] for i in idx):
            raise KeyError("no such ticket")
    else:
        idx = list(range(min(int(body.get("count", 1)), counts["tickets"])))
    t = int(body.get("updated_at", time.time()))
    store.generation += 1
    store.ticket_changes = dict(store.ticket_changes)   # snapshots keep theirs
    for i in idx:
        old = store.ticket_changes.get(i, {})
        store.ticket_changes[i] = {"updated_at": t, "fields": old.get("fields"),
                                   "added_at": old.get("added_at", []) + [t] * int(body.get("add_parts") or 0)}
    return {"ids": [str(630 + i) for i in idx]}


def delete_tickets(store, counts, body):
    """Control (/_fake/delete with stream "tickets"): the tickets leave
    search and GET (404).  A fresh set, so snapshots keep theirs; reset
    discards it.  Caller holds the state lock."""
    if "ids" in body:
        idx = [int(t) - 630 for t in body["ids"]]
    else:
        idx = [i for i in range(counts["tickets"]) if i not in store.tickets_deleted][:int(body.get("count", 1))]
    if any(i < 0 or i >= counts["tickets"] or i in store.tickets_deleted for i in idx):
        raise KeyError("no such ticket")
    store.generation += 1
    store.tickets_deleted = frozenset(store.tickets_deleted | set(idx))
    return {"ids": [str(630 + i) for i in idx]}


def tag_all(store, contact_id):
    """Control: give a contact every tag of the workspace, so that its
    inlined list (10) says has_more and GET /contacts/{id}/tags has the rest.
    An overlay record, like /_fake/mutate; reset discards it.  Caller holds
    the state lock."""
    i = store.index_of("contacts", contact_id)
    if i is None:
        raise KeyError(f"no contacts record {contact_id}")
    store.generation += 1
    store.cow("contacts")
    rec = dict(store.get("contacts", i))
    refs = [{"type": "tag", "id": str(100 + t), "url": f"/tags/{100 + t}"} for t in range(store.gen.counts["tags"])]
    rec["tags"] = dict(rec["tags"], data=refs[:10], total_count=len(refs), has_more=len(refs) > 10)
    full = store.gen.long_lists.get(i)
    store.gen.long_lists[i] = (refs, full[1] if full else rec["companies"]["data"])
    store.overrides["contacts"][i] = rec
    store.rcache.forget("contacts", i)
    return {"ids": [contact_id]}


def route(handler, fi, gen, method, parts, q, ver, need, body=None):
    """(status, body) for the new endpoints, or None for another route."""
    g = MoreGen(fi, gen, COUNTS[handler.state.args.dataset], handler.snap.ticket_changes)
    n = len(parts)
    if parts[0] == "ticket_types" and n <= 2:
        need("GET")
        recs = g.records("ticket_types")
        if n == 1:
            return 200, {"type": "list", "data": recs}
        return 200, one(fi, recs, parts[1], "ticket_type")
    if parts[0] == "macros" and n <= 2:
        need("GET")
        if fi.vkey(ver) < (2, 16):
            raise fi.ApiError(400, "intercom_version_invalid",
                              "Requested resource is not available in current API version.")
        if n == 2:
            return 200, one(fi, g.records("macros"), parts[1], "macro")
        return 200, list_macros(fi, g, q)
    if parts == ["ticket_states"]:
        need("GET")
        return 200, {"type": "list", "data": g.records("ticket_states")}
    if parts == ["subscription_types"]:
        need("GET")
        return 200, {"type": "list", "data": g.records("subscription_types")}
    if parts[0] == "articles" and n <= 2:
        need("GET")
        recs = g.records("articles")
        if n == 1:
            return 200, paged(handler, recs, q, "/articles", 25)
        return 200, article_with_statistics(one(fi, recs, parts[1], "article"))
    if parts[:2] == ["help_center", "collections"] and n <= 3:
        need("GET")
        recs = g.records("help_center_collections")
        if n == 2:
            return 200, paged(handler, recs, q, "/help_center/collections", 20)
        return 200, one(fi, recs, parts[2], "collection")
    if parts[0] == "contacts" and n == 3 and parts[2] in ("notes", "subscriptions"):
        need("GET")
        return fake_contact_lists.route(handler, fi, g, parts[1], parts[2], q)
    if parts[0] == "contacts" and n == 3 and parts[2] in ("tags", "companies"):
        need("GET")
        return 200, contact_list(handler, fi, parts[1], parts[2], q, ver)
    if parts == ["admins", "activity_logs"]:
        need("GET")
        return 200, activity_logs(handler, fi, g, q)
    if parts[0] == "tickets" and n == 2 and parts[1] == "search":
        need("POST")
        return 200, search_tickets(handler, fi, g, body)
    if parts[0] == "tickets" and n == 2:
        need("GET")
        for i in range(counts_of(handler)["tickets"]):
            if str(630 + i) == parts[1] and i not in handler.snap.tickets_deleted:
                return 200, g.ticket_full(i)
        raise fi.ApiError(404, "ticket_not_found", "Ticket not found")
    if parts == ["conversations", "attributes"]:
        need("GET")
        if fi.vkey(ver) < (2, 16):
            raise fi.ApiError(400, "intercom_version_invalid",
                              "Requested resource is not available in current API version.")
        recs = g.conversation_attributes()
        if q.get("include_archived", "false").lower() != "true":
            recs = [a for a in recs if not a["archived"]]
        return 200, {"type": "list", "data": recs}
    return None


def iso_ms(t):
    """Epoch seconds as the ISO string macros carry: 2025-07-17T11:18:08.000Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def list_macros(fi, g, q):
    """GET /macros: cursor [updated_at, id] (base64 JSON) of the last item,
    updated_since an exclusive lower bound on updated_at (epoch seconds)."""
    import base64
    import calendar
    import json

    def epoch(m):
        return calendar.timegm(time.strptime(m["updated_at"], "%Y-%m-%dT%H:%M:%S.000Z"))
    try:
        per_page = int(q.get("per_page", 50))
        since = int(q["updated_since"]) if q.get("updated_since") not in (None, "") else None
    except ValueError:
        raise fi.bad("parameter_invalid", "per_page and updated_since must be integers")
    if not 1 <= per_page <= 150:
        raise fi.bad("parameter_invalid", "per_page must be between 1 and 150")
    recs = [m for m in g.records("macros") if since is None or epoch(m) > since]
    if q.get("starting_after"):
        try:
            at, mid = json.loads(base64.b64decode(q["starting_after"]))
        except ValueError:
            raise fi.bad("parameter_invalid", "starting_after is not a valid cursor")
        recs = [m for m in recs if (epoch(m), int(m["id"])) < (float(at), int(mid))]
    page = recs[:per_page]
    pages = {"type": "pages", "per_page": per_page}
    if len(recs) > per_page:
        last = page[-1]
        pages["next"] = {"starting_after": base64.b64encode(
            json.dumps([float(epoch(last)), last["id"]]).encode()).decode()}
    return {"type": "list", "data": page, "pages": pages}


def article_with_statistics(a):
    """GET /articles/{id} adds the article's statistics (the listing does not)."""
    k = int(a["id"])
    return dict(a, statistics={"type": "article_statistics", "views": 10 * k, "conversions": k % 7,
                               "reactions": k % 5, "happy_reaction_percentage": 0.6,
                               "neutral_reaction_percentage": 0.3, "sad_reaction_percentage": 0.1})


def one(fi, recs, id_, kind):
    for r in recs:
        if r["id"] == id_:
            return r
    raise fi.ApiError(404, "not_found", f"{kind} not found")


def paged(handler, recs, q, path, default):
    """Page-numbered listing: ?page=N&per_page=M (at most 150), pages.next a
    URL while more pages follow (absent on the last), total_pages always."""
    page, per_page = handler.page_params(q, default, 150)
    env = handler.page_envelope(recs, page, per_page, path)
    pages = env["pages"]
    if pages["next"] is None:
        del pages["next"]
    return {"type": "list", "pages": pages, "total_count": env["total_count"], "data": env["data"]}


def link_dump(fi, s, stream, ver):
    """The link tables' rows, from the records themselves (a contact's whole
    tag and company lists, not only the 10 it inlines)."""
    out = []

    seen = set()

    def add(pk, pid, pupdated, ck, cid):
        row = {"id": f"{pid}/{cid}", pk: pid, ck: str(cid)}
        if row["id"] in seen:
            return          # a list naming a child twice links it once
        seen.add(row["id"])
        if pupdated is not None:
            row[pk.replace("_id", "_updated_at")] = pupdated
        out.append(row)
    if stream in ("contact_tags", "contact_companies"):
        kind = stream.split("_")[1]
        for i in s.indexes("contacts"):
            r = s.get("contacts", i)
            full = s.gen.long_lists.get(i)
            refs = (full[0] if kind == "tags" else full[1]) if full else r[kind]["data"]
            for x in refs:
                add("contact_id", r["id"], r["updated_at"], "tag_id" if kind == "tags" else "company_id", x["id"])
    elif stream == "company_tags":
        for r in s.records("companies"):
            for x in r["tags"]["tags"]:
                add("company_id", r["id"], r["updated_at"], "tag_id", x["id"])
    elif stream in ("conversation_tags", "conversation_contacts"):
        key, ck = ("tags", "tag_id") if stream == "conversation_tags" else ("contacts", "contact_id")
        for i in s.indexes("conversations"):
            r = fi.render("conversations", s.get("conversations", i), ver)
            for x in r[key][key]:
                add("conversation_id", r["id"], r["updated_at"], ck, x["id"])
    elif stream == "team_admins":
        for r in s.records("teams"):
            for a in r["admin_ids"]:
                add("team_id", r["id"], None, "admin_id", a)
    return out


def dump(handler, fi, s, stream, ver):
    """/_fake/data/<stream> for the new streams, or None."""
    gen = s.gen
    if stream in fake_contact_lists.STREAMS:
        return fake_contact_lists.dump(s, MoreGen(fi, gen, COUNTS[handler.state.args.dataset], s.ticket_changes),
                                       stream)
    if stream not in STREAMS:
        return None
    if stream in ("contact_tags", "contact_companies", "company_tags", "conversation_tags",
                  "conversation_contacts", "team_admins"):
        return link_dump(fi, s, stream, ver)
    g = MoreGen(fi, gen, COUNTS[handler.state.args.dataset], s.ticket_changes)
    if stream == "tickets":
        return [g.ticket(i) for i in range(g.counts["tickets"]) if i not in s.tickets_deleted]
    if stream == "activity_logs":
        return [g.activity_log(i) for i in range(g.counts["activity_logs"])]
    if stream == "ticket_parts":
        out = []
        for i in range(g.counts["tickets"]):
            if i in s.tickets_deleted:
                continue
            t = g.ticket_full(i)
            blk = t["ticket_parts"]
            for p in blk["ticket_parts"]:
                out.append(dict(p, ticket_id=t["id"], ticket_created_at=t["created_at"],
                                ticket_updated_at=t["updated_at"], ticket_total_parts=blk["total_count"]))
        return out
    if stream == "conversation_attributes":
        if fi.vkey(ver) >= (2, 16):
            return [a for a in g.conversation_attributes() if not a["archived"]]
        return [a for a in gen.attributes("conversation") if not a["archived"]]
    return g.records(stream)
