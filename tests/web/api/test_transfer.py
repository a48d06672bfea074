"""Export and import of content and schedules: JSON and CSV, checked row by row, all or nothing."""

from __future__ import annotations

import csv
import io

import pytest

from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Content, Publication, Schedule

from .helpers import soon, utc_text


def _count(model) -> int:
    return db.session.query(model).count()


def test_contents_round_trip_through_a_json_export(api, make, api_key):
    _, actor = api_key
    make.content(actor, title="First", tags=["news", "launch"], status="approved")
    exported = api("GET", "/export?kind=contents&format=json")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="herald-contents-')
    assert [item["title"] for item in exported.json["items"]] == ["First"]

    response = api("POST", "/import?kind=contents", json=exported.json)

    assert response.status_code == 201 and response.json["imported"] == 1
    copy = db.session.get(Content, response.json["ids"][0])
    assert (copy.title, copy.tags, copy.status) == ("First", ["news", "launch"], "approved")


def test_a_csv_export_has_a_header_and_comma_joined_lists(api, make, api_key):
    _, actor = api_key
    make.content(actor, title="Hello, world", tags=["a", "b"])
    response = api("GET", "/export?kind=contents&format=csv")

    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (rows[0]["title"], rows[0]["tags"]) == ("Hello, world", "a, b")


FORMULAS = ('=HYPERLINK("http://evil.test","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1")


@pytest.mark.parametrize("title", FORMULAS)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_text_and_imports_back_unchanged(api, make, api_key, title):
    _, actor = api_key
    item = make.content(actor, title=f"{title} launch", excerpt="plain text stays plain", tags=["=cmd|' /C calc'!A0"])
    stored = item.title  # a title is trimmed when saved: a leading tab or CR goes, the formula stays

    exported = api("GET", "/export?kind=contents&format=csv").get_data(as_text=True)

    [row] = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert row["title"] == f"'{stored}" and row["tags"] == "'=cmd|' /C calc'!A0"
    assert row["excerpt"] == "plain text stays plain"
    response = api("POST", "/import?kind=contents", data=exported, headers={"Content-Type": "text/csv"})
    assert response.status_code == 201, response.json
    copy = db.session.get(Content, response.json["ids"][0])
    assert copy.title == stored and copy.tags == ["=cmd|' /C calc'!A0"]


def test_a_csv_import_with_one_bad_row_imports_nothing_and_names_each_problem(api):
    body = "title,content_type,status,tags\r\nGood one,article,draft,x\r\n,article,draft,\r\nThird,poem,draft,\r\n"

    response = api("POST", "/import?kind=contents", data=body, headers={"Content-Type": "text/csv"})

    assert response.status_code == 422
    assert response.json["error"]["message"] == "2 of 3 rows have errors; nothing was imported."
    assert response.json["error"]["rows"] == [
        {"row": 2, "field": "title", "message": "is required"},
        {"row": 3, "field": "content_type", "message": response.json["error"]["rows"][1]["message"]},
    ]
    assert "must be one of" in response.json["error"]["rows"][1]["message"]
    assert _count(Content) == 0


def test_schedules_import_finds_content_and_channels_by_name_or_id(api, make, api_key):
    _, actor = api_key
    blog = make.channel(actor, name="Blog")
    news = make.channel(actor, name="News")
    content = make.content(actor, title="Launch")
    run_at = utc_text(soon(days=2))
    body = (
        "content,channels,run_at,cron,timezone\r\n"
        f'Launch,"Blog, {news.id}",{run_at},,\r\n'
        f"{content.id},News,,0 9 * * mon,Europe/Paris\r\n"
    )

    response = api("POST", "/import?kind=schedules", data=body, headers={"Content-Type": "text/csv"})

    assert response.status_code == 201, response.json
    first, second = (db.session.get(Schedule, i) for i in response.json["ids"])
    assert [c.id for c in first.channels] == [blog.id, news.id] and first.content_id == content.id
    assert (second.cron, second.timezone) == ("0 9 * * mon", "Europe/Paris")
    publications = db.session.query(Publication).all()
    assert len(publications) == 3
    assert all(dispatch.scheduled_time(p) is not None for p in publications)  # enqueued after the commit


def test_a_schedules_import_is_all_or_nothing(api, make, api_key):
    _, actor = api_key
    make.channel(actor, name="Blog")
    make.content(actor, title="Launch")
    rows = [
        {"content": "Launch", "channels": ["Blog"], "run_at": utc_text(soon(days=1))},
        {"content": "Launch", "channels": ["Blog"], "run_at": utc_text(soon(days=2))},
        {"content": "Missing", "channels": ["Nope"], "run_at": "2001-01-01T00:00:00Z"},
    ]

    response = api("POST", "/import?kind=schedules", json={"items": rows})

    assert response.status_code == 422
    problems = {(p["row"], p["field"]) for p in response.json["error"]["rows"]}
    assert problems == {(3, "content_id"), (3, "channel_ids")}
    assert (_count(Schedule), _count(Publication)) == (0, 0)


def test_another_workspace_s_records_cannot_be_referenced(api, make):
    other = make.actor()
    channel = make.channel(other, name="Theirs")
    content = make.content(other, title="Theirs")
    rows = [{"content_id": content.id, "channel_ids": [channel.id], "run_at": utc_text(soon())}]

    response = api("POST", "/import?kind=schedules", json=rows)

    assert response.status_code == 422
    assert {p["field"] for p in response.json["error"]["rows"]} == {"content_id", "channel_ids"}


def test_an_import_past_the_row_limit_is_refused(api, app):
    app.config["IMPORT_MAX_ROWS"] = 2
    try:
        response = api("POST", "/import?kind=contents", json=[{"title": str(i)} for i in range(3)])
    finally:
        app.config["IMPORT_MAX_ROWS"] = 1000
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"file": "has 3 rows; an import takes at most 2"}


def test_bad_requests_are_explained(api):
    assert (
        api("POST", "/import?kind=contents", data="{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert api("POST", "/import?kind=pets", json=[{"title": "x"}]).json["error"]["fields"]["kind"].startswith("must be")
    assert api("POST", "/import?kind=contents", json=[]).json["error"]["fields"] == {"file": "has no rows"}
    assert api("POST", "/import?kind=contents", json=["text"]).json["error"]["rows"][0]["field"] == "row"
    assert api("GET", "/export?kind=contents&format=xml").status_code == 422


def test_viewers_may_export_but_not_import(client, make):
    from webapp.domain.accounts import accounts

    user = make.user()
    make.actor(user, role="viewer")
    _, key = accounts.create_api_key(user)
    headers = {"Authorization": f"Bearer {key}"}

    assert client.get("/api/v1/export?kind=schedules&format=json", headers=headers).status_code == 200
    assert client.post("/api/v1/import?kind=contents", json=[{"title": "x"}], headers=headers).status_code == 403


def test_the_export_answers_as_its_openapi_description_says(api, make, api_key, assert_schema):
    from webapp.domain.operations import transfer
    from webapp.web.api.openapi import document

    _, actor = api_key
    channel = make.channel(actor)
    content = make.content(actor, title="Described", tags=["x"], excerpt=None)
    api("POST", "/schedules", json={"content_id": content.id, "channel_ids": [channel.id], "run_at": utc_text(soon())})
    schemas = document()["components"]["schemas"]
    ok = document()["paths"]["/export"]["get"]["responses"]["200"]

    assert list(schemas["ExportContentRow"]["properties"]) == list(transfer.CONTENT_FIELDS)
    assert list(schemas["ExportScheduleRow"]["properties"]) == list(transfer.SCHEDULE_FIELDS_JSON)
    assert list(schemas["ExportTemplate"]["properties"]) == list(transfer.TEMPLATE_FIELDS)
    assert set(ok["content"]) == {"application/json", "text/csv", "application/zip"}
    for kind in ("contents", "schedules"):
        exported = api("GET", f"/export?kind={kind}")
        assert exported.status_code == 200 and len(exported.json["items"]) == 1
        assert_schema(exported.json, "Export")
        assert_schema(exported.json["items"][0], "ExportContentRow" if kind == "contents" else "ExportScheduleRow")
    wrong = api("GET", "/export?kind=contents").json
    wrong["kind"] = "schedules"  # content rows under the schedules kind do not match the description
    with pytest.raises(AssertionError):
        assert_schema(wrong, "Export")
