"""Drives the real PyPI `pyconnectwise` library, unmodified, against `mock-psa serve --tls`.

The library only speaks https (`https://{manage_url}/...`) and asks /login/companyinfo for the
codebase; the Rust test (mock-psa/tests/connectwise_pypi.rs) passes the mock's CA in
REQUESTS_CA_BUNDLE, so certificates are verified.

For Company, CompanySite, Contact, Configuration and Ticket it fills every member the library's
model carries (from the model's own field types), creates the record through the library, reads
it back through the library (so the mock's answers must also validate against the models), and
checks every member came back as sent. Prints one line per check and a closing
`RESULT connectwise_py: N checks passed, N failed` line.

Env: MOCK_HTTPS_PORT (the HTTPS listener).
"""

import datetime
import os
import sys
import types
import typing
import uuid

from pyconnectwise import ConnectWiseManageAPIClient
from pyconnectwise.models.base.connectwise_model import ConnectWiseModel
from pyconnectwise.models.manage import (
    Company,
    CompanyConfiguration,
    CompanySite,
    Contact,
    Ticket,
)

PORT = os.environ["MOCK_HTTPS_PORT"]
client = ConnectWiseManageAPIClient(
    company_name="acme",
    manage_url=f"127.0.0.1:{PORT}",
    client_id="psa-conformance-tests",
    public_key="public",
    private_key="private",
)

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


# Ids of records references point at (filled in as they are created).
ids = {"CompanyReference": None, "SiteReference": None, "ContactReference": None}
# Lookup references the mock seeds (id 1 of each); any other reference type is one the mock
# does not serve and keeps as written.
SEEDED = {
    "CountryReference",
    "CompanyStatusReference",
    "CompanyTypeReference",
    "ContactTypeReference",
    "CommunicationTypeReference",
    "ConfigurationTypeReference",
    "ConfigurationStatusReference",
    "ManufacturerReference",
    "BoardReference",
    "ServiceStatusReference",
    "PriorityReference",
}


def unwrap(annotation):
    """The annotation without `| None`."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return typing.Union[tuple(args)]
    return annotation


def value_for(annotation):
    t = unwrap(annotation)
    origin = typing.get_origin(t)
    if origin is typing.Literal:
        return typing.get_args(t)[0]
    if origin is list:
        (item,) = typing.get_args(t)
        return [value_for(item)]
    if origin in (typing.Union, types.UnionType):  # str | bool | int
        return "s"
    if t is str:
        return "x1"  # under every published length limit (the shortest is 2)
    if t is bool:
        return True
    if t is int:
        return 3
    if t is float:
        return 1.5
    if t is datetime.datetime:
        return "2024-06-01T08:00:00Z"
    if t is datetime.date:
        return "2024-06-01"
    if t is uuid.UUID:
        return "0b8c9e1a-1111-2222-3333-444455556666"
    if isinstance(t, type) and issubclass(t, ConnectWiseModel):
        name = t.__name__
        if name in ids:
            return {"id": ids[name]}
        if name in SEEDED:
            return {"id": 1}
        if name.endswith("Reference"):
            # Kept as written: the members that reference model carries.
            ref = {"id": 5}
            for member, text in (("name", "Elsewhere"), ("identifier", "EL")):
                if member in t.model_fields and t.model_fields[member].annotation in (str, str | None):
                    ref[member] = text
            return ref
        if name == "ContactCommunicationItem":
            return {"type": {"id": 1}, "value": "full@example.test", "defaultFlag": True}
        return full_body(t)
    raise TypeError(f"no value for {t!r}")


def full_body(model, skip=()):
    """Every member the model carries, by its wire name (`id` and `_info` are the server's)."""
    body = {}
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if alias in ("id", "_info") or alias in skip:
            continue
        body[alias] = value_for(field.annotation)
    return body


def within(sent, got):
    """`sent` is contained in `got` (references come back with their label and _info)."""
    if isinstance(sent, dict):
        return isinstance(got, dict) and all(k in got and within(v, got[k]) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(got, list) and len(sent) == len(got) and all(within(a, b) for a, b in zip(sent, got))
    if isinstance(got, (datetime.datetime, uuid.UUID)):
        return str(sent).replace("Z", "+00:00") == str(got).replace("Z", "+00:00") or got == sent
    return sent == got


def round_trip(label, model, body, post, get, derived=()):
    """Creates through the library, reads back through it, compares every member sent."""
    members = len(model.model_fields) - 2
    check(f"{label}: the body carries all {members} members of the model", len(body) == members, sorted(body))
    try:
        created = post(body)
    except Exception as e:  # the library raises on any 4xx/5xx
        check(f"{label}: created", False, repr(e))
        return None
    check(f"{label}: created", created.id is not None)
    back = get(created.id).model_dump(by_alias=True, mode="json")
    wrong = [k for k, v in body.items() if k not in derived and not within(v, back.get(k))]
    check(f"{label}: every member read back as sent", not wrong, [(k, body[k], back.get(k)) for k in wrong])
    return created.id


companies = client.company.companies
# Records every reference of the full bodies can point at, created first with what they need.
anchor = companies.post({"identifier": "PYANCHOR", "name": "Anchor Co", "site": {"name": "Main"}})
ids["CompanyReference"] = anchor.id
ids["SiteReference"] = companies.id(anchor.id).sites.post({"name": "Anchor Site"}).id
ids["ContactReference"] = client.company.contacts.post(
    {"firstName": "Anchor", "company": {"id": anchor.id}}
).id

# A new company's `site` names the site created with it; the members the server derives from
# other records are compared elsewhere.
company_body = full_body(Company)
company_body["identifier"] = "PYFULL"
company_body["site"] = {"name": "Main"}
round_trip(
    "Company",
    Company,
    company_body,
    companies.post,
    lambda i: companies.id(i).get(),
    derived=("site",),
)

sites = companies.id(anchor.id).sites
round_trip(
    "CompanySite",
    CompanySite,
    full_body(CompanySite),
    sites.post,
    lambda i: sites.id(i).get(),
    # The site's company is the one in the path.
    derived=("company",),
)

contacts = client.company.contacts
round_trip(
    "Contact",
    Contact,
    full_body(Contact),
    contacts.post,
    lambda i: contacts.id(i).get(),
)

configurations = client.company.configurations
round_trip(
    "Configuration",
    CompanyConfiguration,
    full_body(CompanyConfiguration),
    configurations.post,
    lambda i: configurations.id(i).get(),
)

tickets = client.service.tickets
round_trip(
    "Ticket",
    Ticket,
    full_body(Ticket),
    tickets.post,
    lambda i: tickets.id(i).get(),
    # Set by the server from the contact and the status (read-only in the mock's schema).
    derived=("closedFlag", "contactName"),
)

# A wrong-typed member is refused through the library too, and nothing is stored.
before = len(companies.get(params={"pageSize": 1000}))
try:
    companies.post({"identifier": "PYBAD", "name": {"not": "a string"}})
    check("Company: a wrong-typed name is refused", False, "created")
except Exception as e:  # the library's exception keeps the mock's answer
    answer = getattr(getattr(e, "response", None), "text", "")
    check("Company: a wrong-typed name is refused", "Path 'name'" in answer, answer or repr(e))
check("Company: nothing stored", len(companies.get(params={"pageSize": 1000})) == before)

print(f"RESULT connectwise_py: {passed} checks passed, {failed} failed")
sys.exit(1 if failed else 0)
