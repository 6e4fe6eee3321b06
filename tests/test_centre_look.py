"""A centre's look on its page (issue 15): its name, logo, colour (kept readable) and
languages; and the national supervisor's dashboard without the controls it may not use."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from centres.look import AA, INK, PAGE, WHITE, contrast, look
from staff.roles import NATIONAL_GROUP, SUPERVISOR_GROUP, ensure_roles

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@given(colours)
def test_every_colour_gives_text_that_reads_on_it_and_as_text_on_the_page(colour: str) -> None:
    page = look(colour)
    assert contrast(page.accent, page.on_accent) >= AA  # a button's label
    assert contrast(page.accent_hover, page.on_accent) >= AA  # the same under the pointer
    assert contrast(page.accent_text, PAGE) >= AA and contrast(page.accent_text, WHITE) >= AA  # links, outlines
    assert contrast(INK, page.tint) >= AA  # the visitor's own messages


def test_a_dark_colour_keeps_white_text_and_a_light_one_gets_dark_text_and_keeps_its_colour() -> None:
    dark, light = look("#4B2E83"), look("#1a9e8f")
    assert (dark.accent, dark.on_accent, dark.accent_text) == ("#4b2e83", WHITE, "#4b2e83")
    assert (light.accent, light.on_accent) == ("#1a9e8f", INK)
    assert light.accent_text != light.accent  # too light to read as text: darkened for that


@pytest.mark.parametrize("bad", ["red", "#fff", "#12345g", "#000000;} body{display:none", ""])
def test_anything_but_a_colour_falls_back_to_the_default_and_never_reaches_the_css(bad: str) -> None:
    assert look(bad) == look("#1d4f91")
    assert "display" not in look(bad).css()


@pytest.fixture
def una(db: None) -> Any:
    from centres.models import Centre

    return Centre.objects.create(
        name="Una Norrbotten",
        slug="norrbotten",
        colour="#1a9e8f",
        logo="frontend/logos/norrbotten.svg",
        languages=["en", "sv"],
    )


def style_of(html: str) -> str:
    found = re.search(r"<style>(.*?)</style>", html)
    assert found is not None, "no <style> with the centre's colours"
    return found.group(1)


def test_a_centres_page_shows_its_name_logo_and_colour_under_the_strict_csp(client: Client, una: Any) -> None:
    response = client.get("/norrbotten/")
    html = response.content.decode()
    assert '<span class="centre-name">Una Norrbotten</span>' in html
    assert '<img src="/static/frontend/logos/norrbotten.svg" alt="" class="logo">' in html
    css = style_of(html)
    assert "--accent:#1a9e8f;--on-accent:#1b1b1f;" in css
    # The one inline style allowed, by its hash; nothing else inline is.
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy and "img-src 'self' data:;" in policy
    assert html.index('id="quick-exit"') < html.index('class="centre"')  # the quick exit stays first
    assert "rådgivare på Una Norrbotten om" in html and "Nexus" not in html  # whom the visitor talks to
    assert not response.cookies


def test_the_default_centre_at_the_front_page_has_its_own_look(client: Client, una: Any) -> None:
    from centres.models import Centre

    Centre.objects.filter(default=True).update(name="Nexus resurscentrum", colour="#4b2e83")
    html = client.get("/").content.decode()
    assert '<span class="centre-name">Nexus resurscentrum</span>' in html
    assert 'class="logo"' not in html  # no logo chosen: the name alone
    assert "--accent:#4b2e83;--on-accent:#ffffff;" in style_of(html)


def test_an_upgraded_centre_keeps_the_blue_the_page_had(db: None) -> None:
    from centres.models import Centre

    # Migration centres.0004: a colour never chosen (the old default) became the page's blue.
    assert Centre.objects.get(default=True).colour == "#1d4f91"


def menu(html: str) -> list[str]:
    select = re.search(r'<select id="lang">(.*?)</select>', html, re.DOTALL)
    assert select is not None
    return re.findall(r'<option value="([\w-]+)"', select.group(1))


def test_a_centre_offers_only_its_languages_and_swedish_always(client: Client, una: Any) -> None:
    # The service's order, easy-read Swedish with Swedish.
    assert menu(client.get("/norrbotten/").content.decode()) == ["sv", "sv-ll", "en"]
    assert '<html lang="en"' in client.get("/norrbotten/?lang=en").content.decode()
    # Arabic is not offered here: the page falls back to Swedish rather than show it.
    assert '<html lang="sv" dir="ltr">' in client.get("/norrbotten/?lang=ar").content.decode()
    una.languages = ["en"]
    una.save()
    assert menu(client.get("/norrbotten/").content.decode()) == ["sv", "sv-ll", "en"]
    # The default centre offers every language (none chosen).
    assert menu(client.get("/?lang=ar").content.decode()) == ["sv", "sv-ll", "en", "ar"]


@pytest.mark.parametrize(
    "path", ["https://example.org/logo.svg", "//example.org/x.svg", "../settings.py", "a/../b.svg"]
)
def test_a_logo_from_elsewhere_is_never_on_the_page_and_the_admin_refuses_it(
    client: Client, una: Any, path: str
) -> None:
    una.logo = path
    una.save()
    assert "<img" not in client.get("/norrbotten/").content.decode()
    with pytest.raises(ValidationError) as refused:
        una.full_clean()
    assert list(refused.value.message_dict) == ["logo"]


def test_the_admin_refuses_a_logo_that_is_not_among_our_files_and_takes_one_that_is(una: Any) -> None:
    una.full_clean()
    una.logo = "frontend/logos/nowhere.svg"
    with pytest.raises(ValidationError) as refused:
        una.full_clean()
    assert list(refused.value.message_dict) == ["logo"]


def supervisor_page(client: Client, *groups: str) -> str:
    ensure_roles()
    user = User.objects.create_user("chef", password="c" * 16)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    response = client.get("/supervisor/")
    assert response.status_code == 200
    return response.content.decode()


def config(html: str) -> str:
    found = re.search(r'<script id="config" type="application/json">(.*?)</script>', html)
    assert found is not None
    return found.group(1)


def test_a_national_supervisors_dashboard_has_no_controls_and_says_it_is_read_only(client: Client, db: None) -> None:
    html = supervisor_page(client, NATIONAL_GROUP)
    assert 'id="read-only"' in html
    assert 'id="intake"' not in html and 'id="clear-abandoned"' not in html
    assert '"readOnly": true' in config(html)


def test_a_centre_supervisors_dashboard_keeps_its_controls(client: Client, db: None) -> None:
    # Also a national one: whoever is a centre's supervisor controls that centre.
    html = supervisor_page(client, SUPERVISOR_GROUP, NATIONAL_GROUP)
    assert 'id="read-only"' not in html
    assert 'id="intake"' in html and 'id="clear-abandoned"' in html
    assert '"readOnly": false' in config(html)
