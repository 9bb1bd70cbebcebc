#!/usr/bin/env python3
"""An example connector for the PSA conformance harness, in Python with the standard library only.

It implements a subset of the documentation-side sync, honestly declared: organizations and
contacts, on ConnectWise Manage only, for the rule groups `settings`, `pull` and `push`. It speaks
the ConnectWise REST API itself (urllib, Basic auth `company+public:private`, a clientId header),
and the connector protocol on stdin/stdout: JSON-RPC 2.0, one message a line (see
docs/connector-protocol.md). Diagnostics go to stderr, which the harness keeps per case.

Run the suite against it:

    cargo run -p harness -- run --connector "python3 examples/python-connector/connector.py" \\
        --compare contract --junit target/python-connector.xml
"""

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

CAPABILITIES = {
    "psas": ["connectwise"],
    "rule_groups": ["settings", "pull", "push"],
    "record_kinds": ["organization", "contact"],
}
KINDS = {"organization": "organizations", "contact": "contacts"}
ALL_KINDS = ["organizations", "locations", "contacts", "configurations"]
DEFAULT_SETTINGS = {
    "plan": "enterprise",
    "role": "administrator",
    "two_way": False,
    "org_types": ["Customer"],
    "org_statuses": ["Active"],
    "config_types": ["Server", "Workstation"],
    "config_statuses": ["Active"],
    "contacts": True,
    "contact_type": None,
    "email_type": None,
    "phone_type": None,
    "account_manager": None,
}
SYNCED_FIELDS = {
    "organization": ["name", "short_name", "type", "status", "parent"],
    "contact": ["first_name", "last_name", "title", "type", "email", "phone", "location",
                "important"],
}
PLANS = ["basic", "select", "enterprise"]
ROLES = ["lite", "editor", "manager", "administrator"]
AUTO_PUSH_SOURCES = {"manual", "api", "active_directory"}
SOURCES = AUTO_PUSH_SOURCES | {"csv", "rmm"}
PAGE_SIZE = 1000


class StepFailed(Exception):
    """The connector cannot perform the request: answered with a JSON-RPC error."""


class Rejected(Exception):
    """The documentation platform refuses the user's action: an `apply` result, not an error."""


class PsaError(Exception):
    """The PSA refused a call or could not be reached."""


class MethodNotFound(Exception):
    """A method this protocol version does not have."""


def log_err(*parts):
    print("python-connector:", *parts, file=sys.stderr, flush=True)


class ConnectWise:
    """Just enough of ConnectWise Manage REST 3.0 for companies and contacts."""

    def __init__(self, api_url, credentials):
        self.base = api_url
        token = "{company}+{user}:{secret}".format(**credentials)
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(token.encode()).decode(),
            "clientId": "python-example-connector",
            "Accept": "application/json",
        }
        # The mock listens on loopback: never route it through a proxy from the environment.
        self.http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.lookups = {}
        self.comm_kinds = {}

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        for k, v in self.headers.items():
            req.add_header(k, v)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.http.open(req, timeout=30) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                message = json.loads(text).get("message", text)
            except ValueError:
                message = text
            raise PsaError("{}: {}".format(e.code, message)) from None
        except (urllib.error.URLError, OSError) as e:
            raise PsaError("transient failure: {}".format(e)) from None
        return json.loads(text) if text.strip() else None

    def get_all(self, path):
        rows, page = [], 1
        while True:
            sep = "&" if "?" in path else "?"
            batch = self.call("GET", "{}{}pageSize={}&page={}".format(path, sep, PAGE_SIZE, page)) or []
            rows.extend(batch)
            if len(batch) < PAGE_SIZE:
                return rows
            page += 1

    def connect(self):
        for table, path, label in [
            ("company_types", "/company/companies/types", "name"),
            ("company_statuses", "/company/companies/statuses", "name"),
            ("contact_types", "/company/contacts/types", "description"),
            ("communication_types", "/company/communicationTypes", "description"),
        ]:
            rows = self.get_all(path)
            self.lookups[table] = [(r["id"], r.get(label)) for r in rows if r.get(label)]
            if table == "communication_types":
                self.comm_kinds = {
                    r["id"]: "Email" if r.get("emailFlag") else "Fax" if r.get("faxFlag") else "Phone"
                    for r in rows
                }

    def id_of(self, table, name):
        for i, n in self.lookups.get(table, []):
            if n.lower() == str(name).lower():
                return i
        raise PsaError("the PSA has no {} named `{}`".format(table, name))

    def name_of(self, table, ref):
        if not isinstance(ref, dict):
            return None
        if ref.get("name"):
            return ref["name"]
        for i, n in self.lookups.get(table, []):
            if i == ref.get("id"):
                return n
        return None

    # ---- reading ----------------------------------------------------------------------------

    def companies(self):
        out = []
        for r in self.get_all("/company/companies"):
            types = r.get("types") or []
            fields = {
                "name": text(r.get("name")),
                "short_name": text(r.get("identifier")),
                "type": self.name_of("company_types", types[0]) if types else None,
                "status": self.name_of("company_statuses", r.get("status")),
                "parent": ref_id(r.get("parentCompany")),
            }
            out.append((str(r["id"]), drop_none(fields)))
        return out

    def communication(self, rec, kind):
        items = [
            i for i in rec.get("communicationItems") or []
            if self.comm_kinds.get((i.get("type") or {}).get("id")) == kind
        ]
        pick = next((i for i in items if i.get("defaultFlag") is True), items[0] if items else None)
        if not pick or not isinstance(pick.get("value"), str):
            return None
        return pick["value"], (pick.get("type") or {}).get("name") or ""

    def contacts(self):
        out = []
        for r in self.get_all("/company/contacts"):
            types = r.get("types") or []
            fields = drop_none({
                "org": ref_id(r.get("company")),
                "first_name": text(r.get("firstName")),
                "last_name": text(r.get("lastName")),
                "title": text(r.get("title")),
                "type": self.name_of("contact_types", types[0]) if types else None,
                "location": ref_id(r.get("site")),
            })
            for key, kind in [("email", "Email"), ("phone", "Phone")]:
                found = self.communication(r, kind)
                if found:
                    fields[key], fields[key + "_type"] = found
            out.append((str(r["id"]), fields))
        return out

    # ---- writing ----------------------------------------------------------------------------

    def company_body(self, fields):
        body = {}
        if "name" in fields:
            body["name"] = text(fields["name"])
        if "short_name" in fields:
            body["identifier"] = text(fields["short_name"])
        if "type" in fields:
            t = text(fields["type"])
            body["types"] = [{"id": self.id_of("company_types", t)}] if t else None
        if "status" in fields:
            s = text(fields["status"])
            body["status"] = {"id": self.id_of("company_statuses", s)} if s else None
        if "parent" in fields:
            body["parentCompany"] = {"id": int(fields["parent"])} if fields["parent"] else None
        return body

    def contact_body(self, fields):
        body = {}
        if "org" in fields:
            body["company"] = {"id": int(fields["org"])} if fields["org"] else None
        for canonical, wire in [("first_name", "firstName"), ("last_name", "lastName"), ("title", "title")]:
            if canonical in fields:
                body[wire] = text(fields[canonical])
        if "type" in fields:
            t = text(fields["type"])
            body["types"] = [{"id": self.id_of("contact_types", t)}] if t else None
        return body

    def communications(self, existing, fields, settings):
        """E-mail and phone travel only when a type is chosen in two-way settings (R17)."""
        items, touched = list(existing), False
        for key, kind, chosen in [("email", "Email", settings["email_type"]),
                                  ("phone", "Phone", settings["phone_type"])]:
            if key not in fields or not chosen:
                continue
            touched = True
            items = [i for i in items if self.comm_kinds.get(i["type"]["id"]) != kind]
            value = fields[key]
            if isinstance(value, str) and value:
                items.append({"type": {"id": self.id_of("communication_types", chosen)},
                              "value": value, "defaultFlag": True})
        return items if touched else None

    def create(self, kind, fields, settings):
        if kind == "organization":
            body = self.company_body(fields)
            if not body.get("identifier"):
                # Company ID is required: derive it from the name as the reference does (Q12).
                name = fields.get("name") or ""
                body["identifier"] = "".join(c for c in name if c.isascii() and c.isalnum())[:25]
            path = "/company/companies"
        else:
            f = dict(fields)
            if settings["contact_type"]:
                f["type"] = settings["contact_type"]
            body = self.contact_body(f)
            items = self.communications([], f, settings)
            if items is not None:
                body["communicationItems"] = items
            path = "/company/contacts"
        body = {k: v for k, v in body.items() if v is not None}
        created = self.call("POST", path, body) or {}
        if "id" not in created:
            raise PsaError("created record came back without an id")
        return str(created["id"])

    def update(self, kind, psa_id, changed, settings):
        if kind == "organization":
            path, body = "/company/companies/" + psa_id, self.company_body(changed)
        else:
            path, body = "/company/contacts/" + psa_id, self.contact_body(changed)
            if "email" in changed or "phone" in changed:
                # Communication items are replaced as a whole: start from what the PSA has.
                current = self.call("GET", path) or {}
                existing = [{"type": {"id": i["type"]["id"]}, "value": i.get("value"),
                             "defaultFlag": i.get("defaultFlag")}
                            for i in current.get("communicationItems") or []]
                items = self.communications(existing, changed, settings)
                if items is not None:
                    body["communicationItems"] = items
        if not body:
            return
        ops = [{"op": "remove", "path": k} if v is None else {"op": "replace", "path": k, "value": v}
               for k, v in body.items()]
        self.call("PATCH", path, ops)


def text(v):
    if v is None or v == "":
        return None
    return v if isinstance(v, str) else json.dumps(v)


def ref_id(v):
    if isinstance(v, dict):
        v = v.get("id")
    return str(v) if isinstance(v, int) or (isinstance(v, str) and v) else None


def drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


def in_list(values, v):
    return isinstance(v, str) and any(x.lower() == v.lower() for x in values)


class Docs:
    """The documentation side: records, settings, the sync log, and the sync rules."""

    def __init__(self, params):
        self.psa = params["psa"]
        # Settings of features this connector does not implement are kept but unused: the
        # harness marks cases that need those features not applicable from our capabilities.
        self.settings = dict(DEFAULT_SETTINGS)
        self.settings.update(params["docs"].get("settings", {}))
        self.cw = ConnectWise(self.psa["api_url"], params["credentials"])
        self.connected = False
        self.records = {}
        self.next_id = 1
        self.log = []
        for kind, plural in KINDS.items():
            for row in params["docs"].get(plural, []):
                row = dict(row)
                source = row.pop("source", "manual")
                # Locations are outside the declared record kinds: the harness does not run cases
                # that hold them, so references to them are not kept.
                row.pop("location", None)
                self.insert(kind, self.resolve(row, creating=True, kind=kind), source)

    def say(self, line):
        self.log.append(line)

    def insert(self, kind, fields, source):
        rid = self.next_id
        self.next_id += 1
        self.records[rid] = {"id": rid, "kind": kind, "fields": fields, "source": source,
                             "psa_id": None, "error": None}
        return rid

    def label(self, rec):
        f = rec["fields"]
        if rec["kind"] == "contact":
            return "{} {}".format(f.get("first_name", ""), f.get("last_name", "")).strip()
        return f.get("name", "")

    def find_org(self, name):
        for r in self.records.values():
            if r["kind"] == "organization" and r["fields"].get("name") == name:
                return r["id"]
        raise Rejected("no organization named `{}`".format(name))

    def resolve(self, fields, creating, kind):
        out = dict(fields)
        if "organization" in out:
            out["org"] = self.find_org(out.pop("organization"))
        elif creating and kind != "organization":
            raise Rejected("a {} needs an `organization`".format(kind))
        if isinstance(out.get("parent"), str):
            out["parent"] = self.find_org(out["parent"])
        if "location" in out:
            raise StepFailed("locations are not implemented by this connector")
        return out

    def sync_state(self, rec):
        if rec["error"]:
            return "error"
        if rec["psa_id"]:
            return "synced"
        return "not_pushed" if self.settings["two_way"] else "local"

    # ---- user actions -----------------------------------------------------------------------

    def change_settings(self, change):
        unknown = set(change) - set(DEFAULT_SETTINGS)
        if unknown:
            raise Rejected("settings: unknown field `{}`".format(sorted(unknown)[0]))
        nxt = dict(self.settings, **change)
        if nxt["plan"] not in PLANS or nxt["role"] not in ROLES:
            raise Rejected("settings: unknown plan or role")
        if any(k not in ("plan", "role") for k in change) and ROLES.index(nxt["role"]) < ROLES.index("manager"):
            self.say("settings change refused: only Managers and Administrators may change integration settings")
            raise Rejected("only Managers and Administrators may change integration settings")
        enabling = nxt["two_way"] and not self.settings["two_way"]
        if enabling and PLANS.index(nxt["plan"]) < PLANS.index("select"):
            self.say("two-way sync refused: it requires a Select or Enterprise plan")
            raise Rejected("two-way sync requires a Select or Enterprise plan")
        self.settings = nxt
        if enabling:
            self.say("two-way sync with {} enabled".format(self.psa["name"]))

    def create(self, kind, fields, source):
        fields = self.resolve(fields, creating=True, kind=kind)
        if kind == "contact" and source == "active_directory":
            # R54: without configured types an AD contact carries the AD ones.
            if "email" in fields and self.settings["email_type"] is None:
                fields.setdefault("email_type", "AD Email")
            if "phone" in fields and self.settings["phone_type"] is None:
                fields.setdefault("phone_type", "AD Phone")
            # R55: an AD user enriches the contact it matches, by e-mail first, then by name.
            same_org = [r for r in self.records.values()
                        if r["kind"] == "contact" and r["fields"].get("org") == fields.get("org")]
            match = next((r for r in same_org if fields.get("email")
                          and r["fields"].get("email") == fields["email"]), None) or next(
                (r for r in same_org if contact_key(r["fields"]) == contact_key(fields)), None)
            if match is not None:
                changes = {k: v for k, v in fields.items() if k != "org"}
                changes["organization"] = self.label(self.records[fields["org"]])
                self.edit(kind, self.label(match), changes)
                return match["id"]
        rid = self.insert(kind, fields, source)
        if source in AUTO_PUSH_SOURCES:
            self.push(rid)
        elif self.settings["two_way"]:
            self.say("{} {}: created from {} data, not pushed automatically".format(
                kind, self.label(self.records[rid]), source))
        return rid

    def edit(self, kind, label, changes):
        rec = next((r for r in self.records.values() if r["kind"] == kind and self.label(r) == label), None)
        if rec is None:
            raise StepFailed("no {} `{}`".format(kind, label))
        if rec["psa_id"] and not self.settings["two_way"]:
            # R15: with two-way off the PSA owns the fields it syncs.
            locked = [f for f in SYNCED_FIELDS[kind] if f in changes]
            # The organization a record sits in is its PSA company: the PSA's too.
            if (kind != "organization" and "organization" in changes
                    and self.find_org(changes["organization"]) != rec["fields"].get("org")):
                locked.insert(0, "organization")
            if locked:
                raise Rejected("synced fields are read-only while two-way sync is off: "
                               + ", ".join(locked))
        changed = {}
        for k, v in self.resolve(changes, creating=False, kind=kind).items():
            if rec["fields"].get(k) != v:
                changed[k] = v
            if v is None:
                rec["fields"].pop(k, None)
            else:
                rec["fields"][k] = v
        if rec["psa_id"]:
            self.push_changes(rec, changed)
        else:
            self.push(rec["id"])

    # ---- push -------------------------------------------------------------------------------

    def ensure_connected(self):
        if not self.connected:
            self.cw.connect()
            self.connected = True

    def push_blocker(self, rec):
        s = self.settings
        if not s["two_way"]:
            return "two-way sync is off"
        if rec["kind"] == "organization":
            if not (in_list(s["org_types"], rec["fields"].get("type"))
                    and in_list(s["org_statuses"], rec["fields"].get("status"))):
                return "its type and status are not set to sync"
        else:
            org = self.records.get(rec["fields"].get("org"))
            if not org or not org["psa_id"]:
                return "its organization is not synced"
        return None

    def to_psa(self, fields):
        out = dict(fields)
        for key in ("org", "parent"):
            if isinstance(out.get(key), int):
                target = self.records.get(out[key])
                if target and target["psa_id"]:
                    out[key] = target["psa_id"]
                else:
                    out.pop(key)
        return out

    def push(self, rid):
        rec = self.records[rid]
        label = self.label(rec)
        reason = self.push_blocker(rec)
        if reason:
            if self.settings["two_way"]:
                self.say("{} {}: not pushed: {}".format(rec["kind"], label, reason))
            return
        try:
            self.ensure_connected()
            rec["psa_id"] = self.cw.create(rec["kind"], self.to_psa(rec["fields"]), self.settings)
            rec["error"] = None
            self.say("{} {}: pushed to {} as {}".format(rec["kind"], label, self.psa["name"], rec["psa_id"]))
        except PsaError as e:
            self.say("{} {}: push failed: {}".format(rec["kind"], label, e))
            rec["error"] = str(e)

    def push_changes(self, rec, changed):
        if not self.settings["two_way"] or not changed:
            return
        try:
            self.ensure_connected()
            self.cw.update(rec["kind"], rec["psa_id"], self.to_psa(changed), self.settings)
            rec["error"] = None
            self.say("{} {}: pushed changes ({})".format(rec["kind"], self.label(rec), ", ".join(sorted(changed))))
        except PsaError as e:
            self.say("{} {}: push failed: {}".format(rec["kind"], self.label(rec), e))
            rec["error"] = str(e)

    # ---- pull -------------------------------------------------------------------------------

    def full_sync(self):
        self.say("full sync with {} started".format(self.psa["name"]))
        try:
            self.ensure_connected()
            s = self.settings
            linked = {}
            syncing = [(pid, f) for pid, f in self.cw.companies()
                       if in_list(s["org_types"], f.get("type")) and in_list(s["org_statuses"], f.get("status"))]
            for pid, f in syncing:
                linked[pid] = self.link_or_create(
                    "organization", pid, f, lambda r, f=f: r["fields"].get("name") == f.get("name"))
            for pid, f in syncing:
                fields = self.records[linked[pid]]["fields"]
                parent = linked.get(f.get("parent"))
                if parent:
                    fields["parent"] = parent
                else:
                    fields.pop("parent", None)
            if s["contacts"]:
                for pid, f in self.cw.contacts():
                    org = linked.get(f.get("org"))
                    if org is None:
                        continue  # contacts of companies that do not sync are ignored
                    f["org"] = org
                    f.pop("location", None)
                    key = contact_key(f)
                    self.link_or_create("contact", pid, f, lambda r, key=key: contact_key(r["fields"]) == key)
        except PsaError as e:
            self.say("full sync failed: {}".format(e))
            return
        self.say("full sync finished")

    def link_or_create(self, kind, psa_id, fields, matches):
        """The record linked to this PSA record, else an unlinked exact match, else a new one;
        the PSA wins on every field it has."""
        same_kind = [r for r in self.records.values() if r["kind"] == kind]
        rec = next((r for r in same_kind if r["psa_id"] == psa_id), None)
        if rec is None:
            rec = next((r for r in same_kind if r["psa_id"] is None and matches(r)), None)
        if rec is None:
            rec = self.records[self.insert(kind, {}, "psa")]
            self.say("{} {}: pulled from {}".format(kind, self.label({"kind": kind, "fields": fields}),
                                                     self.psa["name"]))
        rec["psa_id"] = psa_id
        rec["fields"].update(fields)
        return rec["id"]

    # ---- the outcome ------------------------------------------------------------------------

    def snapshot(self):
        docs = {"settings": self.settings}
        for plural in ALL_KINDS:
            docs[plural] = []
        for rec in self.records.values():
            row = {"id": rec["id"]}
            for k, v in sorted(rec["fields"].items()):
                if k in ("org", "parent"):
                    target = self.records.get(v)
                    row["organization" if k == "org" else "parent"] = self.label(target) if target else None
                else:
                    row[k] = v
            state = self.sync_state(rec)
            row.update({"source": rec["source"], "sync": state})
            if rec["psa_id"]:
                row["psa_id"] = rec["psa_id"]
            if state in ("not_pushed", "error"):
                row["banner"] = ("Record not yet pushed to {}. To trigger a push, try updating the record."
                                 .format(self.psa["name"]))
            if rec["error"]:
                row["error"] = rec["error"]
            docs[KINDS[rec["kind"]]].append(row)
        return {"docs": docs, "log": self.log}


def contact_key(f):
    return (f.get("org"), f.get("first_name"), f.get("last_name"))


def apply(docs, step):
    if not isinstance(step, dict) or len(step) != 1:
        raise StepFailed("a step is an object with exactly one member")
    (action, arg), = step.items()
    if action == "settings":
        docs.change_settings(arg)
        return "ok"
    if action == "sync":
        docs.full_sync()
        return "ok"
    if action == "clock":
        return "ok"  # no scheduler: time passing changes nothing here
    if action in ("create", "edit"):
        kind = arg.get("kind")
        if kind not in KINDS:
            raise StepFailed("record kind `{}` is not implemented by this connector".format(kind))
        if action == "create":
            source = arg.get("source") or "manual"
            if source not in SOURCES:
                raise StepFailed("unknown source `{}`".format(source))
            return "created {} {}".format(kind, docs.create(kind, arg.get("fields") or {}, source))
        docs.edit(kind, arg.get("record"), arg.get("fields") or {})
        return "saved"
    raise StepFailed("step `{}` is not implemented by this connector".format(action))


def handle(state, request):
    method, params = request.get("method"), request.get("params") or {}
    if method == "initialize":
        state["docs"] = Docs(params)
        return {"name": "python-example-connector", "version": "0.1.0", "capabilities": CAPABILITIES}
    if method == "shutdown":
        state["done"] = True
        return None
    if state.get("docs") is None:
        raise StepFailed("`{}` before `initialize`".format(method))
    if method == "apply":
        try:
            return {"action": apply(state["docs"], params.get("step"))}
        except Rejected as e:
            return {"action": "rejected: {}".format(e)}
    if method == "snapshot":
        return state["docs"].snapshot()
    raise MethodNotFound(method)


def main():
    state = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            reply = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": str(e)}}
        else:
            rid = request.get("id")
            try:
                reply = {"jsonrpc": "2.0", "id": rid, "result": handle(state, request)}
            except MethodNotFound as e:
                reply = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "unknown method {}".format(e)}}
            except (StepFailed, Rejected, PsaError) as e:
                log_err(e)
                reply = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": str(e)}}
            except Exception as e:  # a bug here must fail the case, not kill the session
                log_err("internal error:", repr(e))
                reply = {"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": repr(e)}}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        if state.get("done"):
            return


if __name__ == "__main__":
    main()
