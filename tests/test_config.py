"""site.yml: defaults, validation messages that name the key, normalised values."""

import pytest

from conftest import write
from generator.config import ConfigError, load_config


def test_missing_file_gives_working_defaults(tmp_path):
    config = load_config(tmp_path / "site.yml")
    assert (config.base_path, config.page_size, config.feed_size, config.timezone) == ("/", 20, 50, "UTC")
    assert config.root == tmp_path.resolve()


def test_project_site_yml_is_valid():
    from conftest import REPO
    config = load_config(REPO / "site.yml")
    assert config.base_path == "/digest/" and config.url.startswith("https://")


@pytest.mark.parametrize("text, key", [
    ("titel: Oops\n", "unknown key 'titel'"),
    ("page_size: twenty\n", "'page_size' must be a whole number"),
    ("page_size: 0\n", "'page_size' must be a whole number"),
    ("feed_size: true\n", "'feed_size' must be a whole number"),
    ("title: [a, b]\n", "'title' must be a string"),
    ("timezone: Mars/Olympus\n", "'timezone' must be an IANA time zone"),
    ("url: example.org\n", "'url' must be an absolute http(s) origin"),
    ("url: https://org.github.io/digest/\n", "'url' must be an absolute http(s) origin"),
    ("base_path: /../etc/\n", "'base_path' must be a URL path"),
    ("id_authority: example\n", "'id_authority' must be 'domain,YYYY'"),
    ("output: ../elsewhere\n", "'output' must be a path inside the site folder"),
    ("sources: [/etc]\n", "'sources' must be a path inside the site folder"),
    ("sources: [seeds, ../..]\n", "'sources' must be a path inside the site folder"),
    ("topics_file: /etc/passwd\n", "'topics_file' must be a path inside the site folder"),
])
def test_bad_settings_stop_with_a_message_naming_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace("(", r"\(").replace(")", r"\)")):
        load_config(write(tmp_path / "site.yml", text))


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "site.yml", "titel: x\npage_size: -1\nlanguage: 3\n"))
    assert len(str(caught.value).splitlines()) == 3


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    with pytest.raises(ConfigError, match=r"site.yml:2:\d+: mapping values are not allowed"):
        load_config(write(tmp_path / "site.yml", "title: ok\nlanguage: a: b\nurl: x\n"))


@pytest.mark.parametrize("given, expected", [("digest", "/digest/"), ("/digest", "/digest/"), ("/", "/"),
                                             ("/a/b/", "/a/b/"), ("", "/")])
def test_base_path_is_normalised(tmp_path, given, expected):
    config = load_config(write(tmp_path / "site.yml", f"base_path: '{given}'\n"))
    assert config.base_path == expected


def test_overrides_are_validated_like_the_file(tmp_path):
    config = load_config(write(tmp_path / "site.yml", "base_path: /digest/\n"), {"base_path": "/fork/"})
    assert config.base_path == "/fork/"


@pytest.mark.parametrize("environ, overrides, origin", [
    ({"DIGEST_BASE_PATH": "/a b/"}, {}, "DIGEST_BASE_PATH: 'base_path'"),
    ({}, {"base_path": "/a b/"}, "--base-path: 'base_path'"),
    ({"DIGEST_URL": "ftp://x"}, {}, "DIGEST_URL: 'url'"),
])
def test_a_bad_value_names_where_it_came_from(tmp_path, environ, overrides, origin):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "site.yml", "title: ok\n"), overrides, environ=environ)
    assert str(caught.value).startswith(origin)


def test_the_readme_documents_every_option_as_declared():
    from conftest import REPO
    from generator.config import options_table

    assert options_table() in (REPO / "README.md").read_text(encoding="utf-8"), \
        "regenerate the README's site.yml table with: python -m generator.config"
