"""Site configuration: `site.yml`, validated against a small declarative schema."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from generator.yamlload import load_typed

CONFIG_NAME = "site.yml"
# A fork published at another repository name needs another base path, without editing site.yml.
ENVIRONMENT_OVERRIDES = {"DIGEST_BASE_PATH": "base_path", "DIGEST_URL": "url"}
BUNDLED_THEMES = Path(__file__).resolve().parent.parent / "themes"
TAG_AUTHORITY = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,},\d{4}(-\d{2}(-\d{2})?)?$")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str = "AI in Healthcare Digest"
    description: str = ""
    url: str = "http://localhost:8000"
    base_path: str = "/"
    language: str = "en"
    timezone: str = "UTC"
    page_size: int = 20
    feed_size: int = 50
    theme: str = "default"
    author: str = ""
    id_authority: str = "digest.invalid,2026"
    sources: tuple[str, ...] = ("seeds", "content")
    topics_file: str = "content/topics.yml"
    output: str = "output"
    max_file_bytes: int = 5 * 1024 * 1024  # a larger document is skipped, not read into memory
    max_field_chars: int = 20_000  # a longer text field is cut, with a warning
    cname: str = ""  # custom domain: written to output/CNAME for branch-deployed Pages

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def theme_dir(self) -> Path:
        """The site's own copy of the theme, else the one shipped with digest."""
        own = self.root / "themes" / self.theme
        return own if own.is_dir() else BUNDLED_THEMES / self.theme

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    @property
    def feed_author(self) -> str:
        return self.author or self.title


OPTION_TYPES = {f.name: f.type for f in fields(SiteConfig) if f.name != "root"}


def load_config(path: Path, overrides: dict | None = None, environ: dict | None = None) -> SiteConfig:
    """Read `site.yml` (or use defaults when it does not exist) and validate every key.
    DIGEST_BASE_PATH and DIGEST_URL in the environment win over the file, explicit overrides over both."""
    path = Path(path)
    raw = _read_yaml(path) if path.exists() else {}
    environ = os.environ if environ is None else environ
    raw.update({key: environ[name] for name, key in ENVIRONMENT_OVERRIDES.items() if environ.get(name)})
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    problems = [f"{path.name}: unknown key '{key}'" for key in raw if key not in OPTION_TYPES]
    values = {}
    for key, value in raw.items():
        if key in OPTION_TYPES:
            try:
                values[key] = _check(key, value)
            except ValueError as exc:
                problems.append(f"{path.name}: '{key}' {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return replace(SiteConfig(root=path.parent.resolve()), **values)


def _read_yaml(path: Path) -> dict:
    try:
        data = load_typed(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: {getattr(exc, 'problem', None) or exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return data


def _check(key: str, value):
    expected = OPTION_TYPES[key]
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"must be a whole number of at least 1, got {value!r}")
        return value
    if expected == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"must be a list of folder names, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__} {value!r}")
    return VALIDATORS.get(key, lambda v: v)(value)


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"must be an absolute http(s) origin such as https://org.github.io, got {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


def normalise_base_path(value: str) -> str:
    parts = [p for p in value.strip().split("/") if p]
    if any(p in (".", "..") or not re.fullmatch(r"[A-Za-z0-9._~-]+", p) for p in parts):
        raise ValueError(f"must be a URL path such as /digest/, got {value!r}")
    return "/" + "".join(p + "/" for p in parts)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"must be an IANA time zone such as Europe/London, got {value!r}") from exc
    return value


def _authority(value: str) -> str:
    if not TAG_AUTHORITY.match(value):
        raise ValueError(f"must be 'domain,YYYY' (a domain you held on that date, RFC 4151), got {value!r}")
    return value


def _domain(value: str) -> str:
    if value and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", value):
        raise ValueError(f"must be a domain name such as digest.example.org, got {value!r}")
    return value


def _relative_folder(value: str) -> str:
    if Path(value).is_absolute() or ".." in Path(value).parts or not value.strip():
        raise ValueError(f"must be a folder inside the site, got {value!r}")
    return value


VALIDATORS = {
    "url": _url,
    "base_path": normalise_base_path,
    "timezone": _timezone,
    "id_authority": _authority,
    "output": _relative_folder,
    "theme": _relative_folder,
    "cname": _domain,
}
