"""Schemathesis hooks for the stateful run of the contract test (tests/contract.rs) only.

A movement and an alert are judged by rules between fields and against the clock, which the
document cannot state (see schemathesis.toml), so hardly any generated movement or alert would
be accepted, and the life cycles the links describe (record -> read -> void -> read; alert ->
matching movement -> hit -> acknowledge) would never get past their first step. These hooks
bend each generated body just enough to meet those rules, so that the links are followed with
real objects. The examples, coverage and fuzzing runs use no hooks: their data stays exactly
as the document allows.
"""

import datetime
import os
import random
import uuid

import schemathesis

# The POEs of kind `air`, where the mode must be `air` (and only there); the test reads them
# from GET /poes and passes them on.
AIRPORTS = set(filter(None, os.environ.get("CROSSINGS_CONTRACT_AIRPORTS", "").split(",")))


def _is(context, method, path):
    operation = context.operation
    return operation is not None and operation.method.upper() == method and operation.path == path


def _movement(body):
    # A key of its own: the hook changes the body, so a drawn key used before would be a
    # replay with another payload (409).
    body["client_event_id"] = f"contract-{uuid.uuid4()}"
    now = datetime.datetime.now(datetime.timezone.utc)
    # At most 5 minutes ahead of the server's clock: a crossing of the last few hours.
    body["occurred_at"] = (now - datetime.timedelta(minutes=random.randint(1, 600))).isoformat()
    # An MRZ needs right check digits and must agree with the traveller.
    body.pop("mrz", None)
    # permitted_until only for entries of non-citizens, not before the entry: leave it out.
    body.pop("permitted_until", None)
    # Without its MRZ, a movement must name its traveller.
    if not isinstance(body.get("traveller"), dict):
        body["traveller"] = {
            "document_type": "passport",
            "document_number": f"C{random.randint(1000000, 9999999)}",
            "issuing_state": "ZAF",
            "nationality": "ZAF",
            "sex": "F",
        }
    traveller = body.get("traveller")
    if isinstance(traveller, dict):
        # Born before the crossing.
        traveller["date_of_birth"] = "1985-03-04"
        # Names of letters (the document cannot say "letters" portably: see the surname's
        # description).
        traveller["surname"] = random.choice(["NKOSI", "MOKOENA", "O'BRIEN", "VAN DER MERWE"])
        traveller["given_names"] = random.choice(["", "THANDIWE GRACE", "PALESA"])
    if body.get("poe") in AIRPORTS:
        body["mode"] = "air"
    elif body.get("mode") == "air":
        body["mode"] = "pedestrian"


def _alert(body):
    # A document or a person, not both; a document alert, so that a movement can match it.
    if body.get("issuing_state") is not None and body.get("document_number") is not None:
        for field in ("surname", "given_names", "date_of_birth"):
            body.pop(field, None)
    # expires_at must be in the future: until removed.
    body.pop("expires_at", None)


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, dict):
        if _is(context, "POST", "/api/v1/movements"):
            _movement(body)
        elif _is(context, "POST", "/api/v1/watchlist"):
            _alert(body)
    return body
