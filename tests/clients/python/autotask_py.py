"""The real PyPI `py-autotask` library, unmodified, against `mock-psa serve --psa autotask`.

Reads the schema data the mock serves from (MOCK_SCHEMA) so that records are created with every
member the published description carries, and checks the library's own models accept the
mock's entityInformation. Prints `RESULT autotask_py: <n> passed, <m> failed`.
"""

import json
import os
import sys

from py_autotask import AutotaskClient
from py_autotask.exceptions import AutotaskAPIError
from py_autotask.types import FieldMetadata, EntityMetadata

origin = os.environ["MOCK_ORIGIN"]
schema = json.load(open(os.environ["MOCK_SCHEMA"]))
entities = {e["name"]: e for e in schema["entities"]}
passed = 0
failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what} {detail}", file=sys.stderr)


client = AutotaskClient.create(
    username="api@example.com",
    integration_code="INTEGRATIONCODE",
    secret="secret",
    api_url=f"{origin}/ATServicesRest",
)

# Introspection: the library's pydantic models read every field the mock describes.
for name, e in entities.items():
    info = client.get_field_info(name)
    fields = [FieldMetadata(**f) for f in info["fields"]]
    check(f"{name} fields", [f.name for f in fields] == [f["name"] for f in e["fields"]])
    EntityMetadata(**client.get_entity_info(name)["info"])


def full_record(entity, fixed):
    """Every writable member of the entity, with a value of its type."""
    out = {}
    for f in entities[entity]["fields"]:
        n = f["name"]
        if f.get("readOnly") or f.get("writeOnly"):
            continue
        if n in fixed:
            out[n] = fixed[n]
        elif "picklistValues" in f:
            out[n] = f["picklistValues"][0]["value"]
        elif f.get("reference", {}).get("table") or f.get("picklist"):
            continue  # given in `fixed` when needed
        elif f["type"] == "string":
            out[n] = f"py-{n}"[: f.get("length") or 64]
        elif f["type"] in ("integer", "long", "short"):
            out[n] = 3
        elif f["type"] == "double":
            out[n] = 1.25
        elif f["type"] == "boolean":
            out[n] = False
        elif f["type"] == "datetime":
            out[n] = "2026-05-06T07:08:09Z"
    return out


def same(entity, sent, got):
    for k, v in sent.items():
        check(f"{entity}.{k} reads back", got.get(k) == v, f"sent {v!r}, got {got.get(k)!r}")


company = full_record(
    "Companies",
    {"companyName": "Py Full Co", "companyType": 1, "ownerResourceID": 29682885,
     "countryID": 237, "billToCountryID": 237, "phone": "555-0199"},
)
cid = client.create_entity("Companies", company).item_id
same("Companies", company, client.get("Companies", cid))

contact = full_record("Contacts", {"companyID": cid, "countryID": 237, "isActive": 1,
                                   "nameSuffix": 1})
ctid = client.create_child_entity("Companies", cid, "Contacts", contact).item_id
same("Contacts", contact, client.get("Contacts", ctid))

ci = full_record("ConfigurationItems", {"companyID": cid, "productID": 50001,
                                        "configurationItemType": 2, "contactID": ctid,
                                        "installedByContactID": ctid, "installedByID": 29682885})
ciid = client.create_entity("ConfigurationItems", ci).item_id
same("ConfigurationItems", ci, client.get("ConfigurationItems", ciid))

ticket = full_record("Tickets", {"companyID": cid, "status": 1, "priority": 2,
                                 "queueID": 29683481, "contactID": ctid,
                                 "configurationItemID": ciid, "assignedResourceID": 29682885,
                                 "billingCodeID": 29682833})
tid = client.create_entity("Tickets", ticket).item_id
same("Tickets", ticket, client.get("Tickets", tid))

attachment = {"parentID": tid, "title": "py.txt", "attachmentType": "FILE_ATTACHMENT",
              "fullPath": "py.txt", "publish": 2, "data": "cHk="}
aid = client.create_child_entity("Tickets", tid, "Attachments", attachment).item_id
check("attachment listed",
      [r["id"] for r in client.query("TicketAttachments",
                                     filters=[{"op": "eq", "field": "parentID", "value": tid}]).items]
      == [aid])
check("attachment deleted", client.delete_child_entity("Tickets", tid, "Attachments", aid))

# Filters and projections over members the sync never uses.
res = client.query("Tickets", filters=[{"op": "eq", "field": "changeInfoField3",
                                        "value": ticket["changeInfoField3"]},
                                       {"op": "gte", "field": "id", "value": tid}],
                   include_fields=["changeInfoField3"])
check("filter on a rare member", [r["id"] for r in res.items] == [tid], res.items)
check("count", client.count("Tickets", {"filter": [{"op": "eq", "field": "id", "value": tid}]}) == 1)

# A wrong-typed member is refused and nothing is stored.
before = client.count("Companies", {"filter": [{"op": "gte", "field": "id", "value": 0}]})
try:
    client.create_entity("Companies", dict(company, companyName="Bad", assetValue="lots"))
    check("wrong type refused", False)
except AutotaskAPIError:
    check("wrong type refused", True)
check("nothing stored",
      client.count("Companies", {"filter": [{"op": "gte", "field": "id", "value": 0}]}) == before)

print(f"RESULT autotask_py: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
