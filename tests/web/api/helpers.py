"""Plain helpers for the API tests: instants, request bodies and a small JSON Schema check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def iso(dt: datetime) -> str:
    return dt.isoformat()


def utc_text(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soon(**delta) -> datetime:
    """An instant in the near future (a day ahead unless told), whole seconds."""
    return (datetime.now(UTC) + timedelta(**(delta or {"days": 1}))).replace(microsecond=0)


def webhook_body(**overrides) -> dict:
    body = {
        "name": "Blog hook",
        "platform": "webhook",
        "settings": {"url": "https://hooks.example.test/herald"},
        "credentials": {"secret": "wh-secret-value-1234"},
    }
    return {**body, **overrides}


def schema_problems(value, schema: dict, components: dict, where: str = "$") -> list[str]:
    """Check a JSON value against the subset of JSON Schema the description uses; return what is wrong."""
    if "$ref" in schema:
        return schema_problems(value, components[schema["$ref"].rsplit("/", 1)[1]], components, where)
    if "anyOf" in schema:
        options = [schema_problems(value, option, components, where) for option in schema["anyOf"]]
        return [] if any(not found for found in options) else [f"{where}: matches no anyOf option"]
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types or []
    python_types = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float)}
    if value is None:
        return [] if "null" in types else [f"{where}: null is not {types}"]
    if "boolean" in types and isinstance(value, bool):
        return []
    if types and (isinstance(value, bool) or not any(isinstance(value, python_types.get(t, ())) for t in types)):
        return [f"{where}: {value!r} is not {types}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str) and schema.get("format") == "date-time" and not DATE_TIME.match(value):
        problems.append(f"{where}: {value!r} is not an RFC 3339 date-time")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{where}: missing {name}" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in properties:
                problems += schema_problems(item, properties[name], components, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected {name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += schema_problems(item, schema["additionalProperties"], components, f"{where}.{name}")
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems += schema_problems(item, schema.get("items", {}), components, f"{where}[{i}]")
    return problems
