"""A contact's notes and subscriptions, for the fake Intercom.

Shapes follow Intercom's 2.16 OpenAPI description (reference/intercom-openapi):
  GET /contacts/{id}/notes          note_list {"type":"list","data":[note],
                                    "total_count","pages":{"type":"pages","next",
                                    "page","per_page","total_pages"}}: 50 a page
                                    (?page=N), newest first; next is null on the
                                    last page (the description's example), else
                                    the next page's URL
  GET /contacts/{id}/subscriptions  subscription_type_list {"type":"list","data":
                                    [subscription_type]}: the opt-out types the
                                    contact opted out of and the opt-in types it
                                    opted in to (consent_type says which); no paging
An unknown (deleted, merged, never created) contact answers 404 not_found
"User Not Found", as the description's example.

The notes agree with what each contact inlines: its notes.total_count, and
the ids of the (at most 10) refs in notes.data, which the contact generator
writes as note_id(i, k) for k < total_count.  A note is written between the
contact's created_at and updated_at, by one of the workspace's admins.
Which subscription types a contact has is a pure function of its index and
the type's index.  dump() gives each table's rows as the FDW should return
them (contact_id stamped; subscriptions keyed contact_id/subscription_type_id).
"""

NOTES_PER_PAGE = 50
STREAMS = ("contact_notes", "contact_subscriptions")


def note_id(i, k):
    """The id of contact i's k-th note; the first 10 are the contact
    generator's (5000 + 10 i + k), further ones (many_notes) another range."""
    return str(5000 + i * 10 + k) if k < 10 else str(9000000 + i * 1000 + k)


def notes_of(s, i):
    """Contact i's notes, newest first, as many as its notes.total_count."""
    rec = s.get("contacts", i)
    n = int(rec["notes"]["total_count"])
    c, u = rec["created_at"], max(rec["updated_at"], rec["created_at"])
    na = s.gen.counts["admins"]
    out = []
    for k in range(n):
        out.append({
            "type": "note", "id": note_id(i, k), "created_at": c + (u - c) * (k + 1) // (n + 1),
            "contact": {"type": "contact", "id": rec["id"]},
            "author": s.gen.admin((i + k) % na) if na else None,
            "body": f'<p>Call #{k + 1}: "renewal" – ok</p>',
        })
    out.sort(key=lambda x: (-x["created_at"], -int(x["id"])))
    return out


def has_subscription(i, j):
    """Whether contact i has made a choice about subscription type j: type 0
    for even contacts, type 1 where (i + 1) % 3 == 0, and so on; some
    contacts have both, some none."""
    return (i + j) % (j + 2) == 0


def subscriptions_of(g, i):
    return [t for j, t in enumerate(g.records("subscription_types")) if has_subscription(i, j)]


def route(handler, fi, g, cid, kind, q):
    """(status, body) of GET /contacts/{cid}/notes or .../subscriptions."""
    s = handler.snap
    i = s.index_of("contacts", cid)
    if i is None:
        raise fi.ApiError(404, "not_found", "User Not Found")
    if kind == "subscriptions":
        return 200, {"type": "list", "data": subscriptions_of(g, i)}
    page, per_page = handler.page_params(q, NOTES_PER_PAGE, NOTES_PER_PAGE)
    env = handler.page_envelope(notes_of(s, i), page, per_page, f"/contacts/{cid}/notes")
    env["pages"]["total_pages"] = max(env["pages"]["total_pages"], 1)
    return 200, env


def dump(s, g, stream):
    """Rows of contact_notes or contact_subscriptions, every contact's."""
    out = []
    for i in s.indexes("contacts"):
        cid = s.get("contacts", i)["id"]
        if stream == "contact_notes":
            out += [dict(n, contact_id=cid) for n in notes_of(s, i)]
        else:
            out += [dict(t, id=f"{cid}/{t['id']}", subscription_type_id=t["id"], contact_id=cid)
                    for t in subscriptions_of(g, i)]
    return out


def many_notes(store, contact_id, count):
    """Control: give a contact `count` notes (more than a page holds), as an
    overlay record like tag_all: its inlined notes list says so (10 refs,
    total_count, has_more).  reset discards it.  Caller holds the lock."""
    i = store.index_of("contacts", contact_id)
    if i is None:
        raise KeyError(f"no contacts record {contact_id}")
    store.generation += 1
    store.cow("contacts")
    rec = dict(store.get("contacts", i))
    refs = [{"type": "note", "id": note_id(i, k), "url": f"/notes/{note_id(i, k)}"} for k in range(count)]
    rec["notes"] = dict(rec["notes"], data=refs[:10], total_count=count, has_more=count > 10)
    store.overrides["contacts"][i] = rec
    store.rcache.forget("contacts", i)
    return {"ids": [contact_id]}
