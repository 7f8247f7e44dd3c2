"""The fast and the detailed validators agree, so every rejected input names its field."""
from __future__ import annotations

import pytest
from helpers import RICH
from marshmallow import Schema, fields

from model_service.core.validation import SchemaValidator


class Formats(Schema):
    when = fields.DateTime()
    mail = fields.Email()
    ident = fields.UUID()


def test_a_value_before_a_final_newline_breaks_an_anchored_pattern_and_is_named(make_app):
    client = make_app([RICH]).test_client()
    body = {"age": 30, "plan": "basic", "address": {"city": "Paris", "postcode": "75001\n"}}
    response = client.post("/api/models/rich_model/predict", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "address": {"postcode": ["Does not match the pattern ^[0-9]{5}$."]}}


@pytest.mark.parametrize(("field", "value", "kind"), [
    ("when", "yesterday", "date-time"),
    ("mail", "nobody", "email"),
    ("ident", "not-a-uuid", "uuid"),
])
def test_a_value_breaking_a_format_is_named_with_the_format(field, value, kind):
    assert SchemaValidator(Formats).errors({field: value}) == {field: [f"Not a valid {kind}."]}
