"""Import and export on the integrations page: the ZIP archive with images, and CSV cells no spreadsheet runs."""

from __future__ import annotations

import csv
import io
import pathlib
import re
from datetime import UTC, datetime

import pytest

from tests.frozen import frozen_clock
from tests.media_files import image_bytes
from webapp.domain.content import media
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Content, Media

_clock = frozen_clock(datetime(2031, 3, 3, 8, 0, tzinfo=UTC))
WEBAPP = pathlib.Path(__file__).resolve().parents[3] / "webapp"


def test_the_page_offers_a_zip_of_contents_and_says_what_csv_carries(client, ada):
    text = client.get("/integrations/").get_data(as_text=True)

    assert "kind=contents&amp;format=zip" in text and "kind=schedules&amp;format=zip" not in text
    assert "CSV holds the flat columns only" in text and 'accept=".json,.csv,.zip,' in text


def test_a_zip_download_uploads_again_with_its_images(client, ada, make, media_folder):
    item = make.content(ada, title="With a picture")
    media.add_media(ada, item.id, image_bytes("PNG"), "a.png", "A red square")
    archive = client.get("/integrations/export?kind=contents&format=zip")
    assert archive.headers["Content-Type"] == "application/zip"

    upload = (io.BytesIO(archive.data), "herald-contents.zip")
    response = client.post("/integrations/import", data={"kind": "contents", "file": upload})

    assert (response.status_code, response.headers["Location"]) == (303, "/integrations/")
    copies = db.session.query(Content).filter_by(title="With a picture").order_by(Content.id).all()
    assert [len(c.media) for c in copies] == [1, 1] and db.session.query(Media).count() == 2


def test_an_upload_with_a_bad_image_names_the_row_and_field_on_the_page(client, ada):
    rows = b'[{"title": "x", "images": [{"alt_text": "a", "sha256": "0", "file": "images/nope.png"}]}]'

    response = client.post("/integrations/import", data={"kind": "contents", "file": (io.BytesIO(rows), "x.json")})

    assert response.status_code == 422
    assert '<td>1</td><td>images[0].file</td><td class="wrap">is not in the archive</td>' in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("kind", ["contents", "schedules"])
def test_the_page_s_csv_download_neutralises_formula_cells(client, ada, make, kind):
    channel = make.channel(ada, name="=cmd|' /C calc'!A0")
    item = make.content(ada, title="@SUM(A1) launch", tags=["+1"])
    schedules.create_schedule(
        ada, {"content_id": item.id, "channel_ids": [channel.id], "run_at": "2031-04-01T09:00:00Z"}
    )

    response = client.get(f"/integrations/export?kind={kind}&format=csv")

    cells = [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row]
    assert response.mimetype == "text/csv"
    assert "'@SUM(A1) launch" in cells
    assert ("'+1" if kind == "contents" else "'=cmd|' /C calc'!A0") in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_every_module_that_writes_csv_passes_its_cells_through_the_spreadsheet_guard():
    writers = [p for p in WEBAPP.rglob("*.py") if re.search(r"csv\.(writer|DictWriter)\(", p.read_text())]

    assert writers  # the transfer rows and the analytics download, today
    assert [p.name for p in writers if "spreadsheet.neutralise" not in p.read_text()] == []
