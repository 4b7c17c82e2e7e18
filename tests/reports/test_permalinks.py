"""Each view has one clean address: an address holding empty parameters is redirected to it,
before the page cache, and every spelling of a view cites it, parameters in a stable order."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "asked, canonical",
    [
        ("/dashboard/?q=&year_from=&year_to=&force=surrey", "/dashboard/?force=surrey"),
        ("/dashboard/?q=&year_from=&year_to=", "/dashboard/"),
        (
            "/dashboard/?sort=rate&force=surrey&study=parliament-street-2019&q=+",
            "/dashboard/?study=parliament-street-2019&force=surrey&sort=rate",
        ),
        ("/cases/?page=2&outcome=dismissed&year_to=&q=email", "/cases/?q=email&outcome=dismissed&page=2"),
        (
            "/figures/?q=dismissed&scope=&study=parliament-street-2019",
            "/figures/?study=parliament-street-2019&q=dismissed",
        ),
        ("/forces/?q=", "/forces/"),
        ("/forces/surrey/?sort=", "/forces/surrey/"),
    ],
)
def test_address_with_empty_parameters_redirects_to_the_clean_one(client, asked, canonical):
    response = client.get(asked)
    assert response.status_code == 302
    assert response["Location"] == canonical
    assert "X-Page-Cache" not in response, "redirected before the page cache"


def cited(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    return page.split('<p id="citation">')[1].split('<a href="')[1].split('"')[0].replace("&amp;", "&")


def test_every_spelling_of_a_view_cites_one_address(client):
    canonical = "http://testserver/cases/?q=email&force=metropolitan&force=surrey&outcome=dismissed&page=1"
    assert (
        cited(client, "/cases/?q=email&force=metropolitan&force=surrey&outcome=dismissed&page=1") == canonical
    )
    # Served as asked (no redirect), cited as the canonical address, from the cache or not.
    assert (
        cited(client, "/cases/?page=1&outcome=dismissed&force=surrey&force=metropolitan&q=email") == canonical
    )
    assert (
        cited(client, "/cases/?force=surrey&outcome=dismissed&q=email&page=1&force=metropolitan") == canonical
    )


def test_a_bad_value_is_still_refused_after_the_redirect(client):
    response = client.get("/dashboard/?force=nowhere&q=")
    assert (response.status_code, response["Location"]) == (302, "/dashboard/?force=nowhere")
    assert client.get(response["Location"]).status_code == 400
