"""Easy-read Swedish (lättläst, issue 16 item 7): chosen like a language, Swedish to a
screen reader and to the counsellors, who are told to write simply; nothing kept."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from contacts.service import Service
from tests.conftest import console, visitor


@pytest.mark.django_db
def test_the_menu_offers_easy_read_right_after_swedish_and_the_page_stays_swedish(client: Client) -> None:
    html = client.get("/?lang=sv-ll").content.decode()
    assert '<html lang="sv" dir="ltr">' in html  # a screen reader reads it as Swedish
    menu = html[html.index('<select id="lang">') : html.index("</select>")]
    assert menu.index('value="sv"') < menu.index('value="sv-ll"') < menu.index('value="en"')
    assert '<option value="sv-ll" selected>Lättläst svenska</option>' in menu
    assert "Chatta med oss utan att säga vem du är" in html
    assert client.get("/?lang=sv").content.decode().count(" selected>") == 1


@pytest.mark.django_db
def test_the_easy_read_catalog_says_swedish_plain(client: Client) -> None:
    data = client.get("/i18n/sv-ll.json").json()
    assert (data["lang"], data["base"], data["plain"], data["dir"]) == ("sv-ll", "sv", True, "ltr")
    assert data["strings"]["start"] == "Börja chatta"
    assert data["info"]["texts"]["hours"].startswith("Chatten är stängd nu.")
    plain = client.get("/i18n/sv.json").json()
    assert (plain["base"], plain["plain"]) == ("sv", False)
    assert plain["strings"]["start"] == "Starta chatten"


@pytest.mark.django_db
def test_a_label_the_centre_reworded_is_kept_and_a_default_one_is_easy_read() -> None:
    from contacts.info import numbers
    from contacts.models import EmergencyNumber, EmergencyNumberLabel

    EmergencyNumber.objects.all().delete()
    bris = EmergencyNumber.objects.create(number="116 111", dial="116111")
    EmergencyNumberLabel.objects.create(number=bris, language="sv", text="BRIS, för barn och unga")
    own = EmergencyNumber.objects.create(number="018-10 00 00", dial="018100000", sort_order=1)
    EmergencyNumberLabel.objects.create(number=own, language="sv", text="Socialjouren i Uppsala")
    assert [n["label"] for n in numbers("sv-ll")] == ["BRIS hjälper barn och unga", "Socialjouren i Uppsala"]
    assert [n["label"] for n in numbers("sv")] == ["BRIS, för barn och unga", "Socialjouren i Uppsala"]
    EmergencyNumberLabel.objects.filter(number=bris).update(text="BRIS: barnens hjälptelefon")
    assert numbers("sv-ll")[0]["label"] == "BRIS: barnens hjälptelefon"  # the centre's own words


@pytest.mark.usefixtures("open_all_day")
async def test_the_counsellor_sees_that_the_visitor_chose_easy_read(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor(lang="sv", plain=True)
    await v.expect("started")
    offer = await staff.expect("offer")
    assert (offer["language"], offer["plain"]) == ("sv", True)  # routed as Swedish
    await staff.send(type="accept", contact=offer["contact"])
    assert (await staff.expect("conversation", contact=offer["contact"]))["plain"] is True
    other = await visitor(lang="sv")
    await other.expect("started")
    assert all(item["plain"] is False for item in (await staff.expect("queue"))["items"])
    for s in (v, other, staff):
        await s.close()


@pytest.mark.usefixtures("open_all_day")
async def test_a_visitor_turned_away_is_told_so_in_easy_read(service: Service) -> None:
    from contacts.models import ServiceText

    # The seeded Swedish text, untouched by the centre: the easy-read default stands in.
    await sync_to_async(ServiceText.objects.update_or_create)(
        key="busy",
        language="sv",
        defaults={"text": "Ingen kan svara just nu. Försök igen om en stund. Om du är i fara: ring 112."},
    )
    v = await visitor(lang="sv", plain=True)
    closed = await v.expect("closed")
    assert closed["reason"] == "nobody"
    assert closed["text"] == "Ingen kan svara nu. Försök igen om en stund. Är du i fara? Ring 112."
    await v.close()
    plain = await visitor(lang="sv")
    assert (await plain.expect("closed"))["text"].startswith("Ingen kan svara just nu.")
    await plain.close()


@pytest.mark.usefixtures("open_all_day")
async def test_easy_read_is_no_routing_language_and_plain_must_be_a_flag(service: Service) -> None:
    v = await visitor(lang="sv-ll")
    assert (await v.expect("error"))["code"] == "bad_field"
    await v.send(type="start", lang="sv", plain="yes")
    assert await v.expect("error") == {"type": "error", "code": "bad_field", "detail": "plain"}
    await v.close()
