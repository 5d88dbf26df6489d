"""Fetching from the open web, for whatever digest downloads (the stories' images, the subscriptions' feeds).

Everything fetched is untrusted, and so is every address a document names: a story could name
`http://169.254.169.254/` (a cloud's metadata service) or a host that resolves to the machine's own
network. So a fetch here:

- takes only http(s) URLs, without credentials;
- resolves the host once, refuses it when any address it resolves to is loopback, private, link-local,
  reserved or multicast, and then connects to that checked address (TLS still checks the certificate
  against the host name), so a DNS answer that changes between the check and the connection (a
  rebinding attack) cannot win;
- follows at most a few redirects, checking each new address the same way, and says when every one
  was permanent (a feed that moved);
- asks conditionally when given a validator (ETag, Last-Modified), and takes gzip;
- gives up after a connect timeout, a read timeout and a deadline for the whole response, and
  refuses a body over a size cap;
- names the site in its User-Agent, and opens at most `per_host` connections to any one host;
- uses no proxy from the environment: it could not be checked the same way.

Tests serve fixtures on loopback, which is otherwise refused: DIGEST_FETCH_ALLOW_LOOPBACK=1 allows it.
That switch is for tests only; a publisher never sets it.
"""

from __future__ import annotations

import ipaddress
import os
import queue
import socket
import threading
import time
import warnings
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import Enum
from io import BytesIO
from urllib.parse import urljoin, urlsplit

import urllib3
from PIL import Image, UnidentifiedImageError

from generator import __version__

ALLOW_LOOPBACK = "DIGEST_FETCH_ALLOW_LOOPBACK"  # test-only: lets fixtures be served on 127.0.0.1
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # the decoders an untrusted file may reach
# open_image applies its own pixel limit, and refuses what passes Pillow's warning threshold.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class Reason(Enum):
    """Why a fetch gave nothing, as a summary groups failures."""

    SCHEME = "not an http(s) address"
    ADDRESS = "a loopback, private or link-local address"
    DNS = "host not found"
    CONNECT = "could not connect"
    TLS = "secure connection failed"
    TIMEOUT = "too slow"
    STATUS = "HTTP error"
    REDIRECTS = "too many redirects"
    TOO_LARGE = "too large"
    BROKEN = "broken response"
    NOT_IMAGE = "not an image"
    TOO_MANY_PIXELS = "too many pixels"
    OFFLINE = "not tried: no host resolved"
    GONE = "gone for good (410)"
    BUSY = "asked to come back later (429 or 503)"
    NOT_FEED = "not a feed"


class Refused(Exception):
    def __init__(self, reason: Reason, detail: str = "", retry_after: float | None = None):
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason, self.detail = reason, detail
        self.retry_after = retry_after  # seconds the server asked us to wait (BUSY), when it said


@dataclass(frozen=True)
class Limits:
    connect_seconds: float = 5.0
    read_seconds: float = 10.0  # the longest wait for any one piece of the response
    total_seconds: float = 30.0  # for the whole response, however it trickles in
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2  # connections open at once to one host name


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified: no body) when the request was conditional
    content_type: str
    body: bytes
    etag: str = ""
    last_modified: str = ""
    moved_to: str = ""  # the new address, when every redirect on the way was permanent (301, 308)


def user_agent(site_url: str) -> str:
    """Names the site, so an outlet that wonders who fetches its images can find out."""
    return f"digest/{__version__} (+{site_url})"


def loopback_allowed(environ=None) -> bool:
    return (os.environ if environ is None else environ).get(ALLOW_LOOPBACK) == "1"


class Fetcher:
    """Thread-safe: many fetches may run at once, at most `limits.per_host` to each host."""

    def __init__(self, agent: str, limits: Limits = Limits(), allow_loopback: bool | None = None):
        self.agent, self.limits = agent, limits
        self.allow_loopback = loopback_allowed() if allow_loopback is None else allow_loopback
        self._lock = threading.Lock()
        self._pools: dict[tuple, urllib3.HTTPConnectionPool] = {}
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._addresses: dict[tuple[str, int], str | Refused] = {}
        self._dead: dict[str, Refused] = {}  # host -> why connecting to it failed (not tried again)
        self.resolved_any = False

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *failure) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def get(self, url: str, etag: str = "", last_modified: str = "") -> Response:
        """The body at `url`, following redirects; raises Refused saying why not. With a validator from
        an earlier answer the request is conditional, and an unchanged resource answers 304."""
        deadline = time.monotonic() + self.limits.total_seconds
        extra = {name: value for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified))
                 if value and value.isprintable()}
        permanent, first = True, url
        for _ in range(self.limits.max_redirects + 1):
            response = self._one(url, deadline, extra)
            if isinstance(response, Response):
                moved = response.url if permanent and response.url != first else ""
                return replace(response, moved_to=moved) if moved else response
            (url, status) = response  # a redirect's target, checked afresh by the next round
            permanent = permanent and status in (301, 308)
        raise Refused(Reason.REDIRECTS, f"more than {self.limits.max_redirects}")

    def _one(self, url: str, deadline: float, extra: dict[str, str]) -> Response | tuple[str, int]:
        target = _Target.parse(url)
        if target.host in self._dead:
            raise self._dead[target.host]
        address = self._address(target)
        with self._slot(target.host):
            pool = self._pool(target, address)
            headers = {"Host": target.host_header, "User-Agent": self.agent, "Accept": "*/*",
                       "Accept-Encoding": "gzip, deflate", **extra}
            try:
                raw = pool.urlopen("GET", target.request_path, headers=headers, redirect=False, retries=False,
                                   preload_content=False, assert_same_host=False, timeout=self._timeout(deadline))
            except urllib3.exceptions.HTTPError as error:
                raise self._connect_failed(target.host, error) from None
            whole = False
            try:
                if raw.status in REDIRECTS and raw.headers.get("Location"):
                    return urljoin(url, raw.headers["Location"]), raw.status
                if raw.status == 304 and extra:
                    return Response(url, 304, "", b"", raw.headers.get("ETag", ""), raw.headers.get("Last-Modified", ""))
                if raw.status == 410:
                    raise Refused(Reason.GONE)
                if raw.status in (429, 503):
                    raise Refused(Reason.BUSY, str(raw.status), _seconds(raw.headers.get("Retry-After", "")))
                if raw.status != 200:
                    raise Refused(Reason.STATUS, str(raw.status))
                body = self._body(raw, deadline)
                whole = True
                return Response(url, raw.status, raw.headers.get("Content-Type", ""), body,
                                raw.headers.get("ETag", ""), raw.headers.get("Last-Modified", ""))
            finally:
                if not whole:  # a connection with unread bytes cannot carry the next request
                    raw.close()
                raw.release_conn()

    def _timeout(self, deadline: float) -> urllib3.Timeout:
        left = max(0.01, deadline - time.monotonic())
        return urllib3.Timeout(connect=min(self.limits.connect_seconds, left), read=min(self.limits.read_seconds, left))

    def _body(self, raw, deadline: float) -> bytes:
        declared = raw.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise Refused(Reason.TOO_LARGE, f"{int(declared):,} bytes")
        parts, size = [], 0
        try:
            while chunk := raw.read(CHUNK):
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise Refused(Reason.TOO_LARGE, f"over {self.limits.max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise Refused(Reason.TIMEOUT, f"no whole answer in {self.limits.total_seconds:g} s")
                parts.append(chunk)
        except urllib3.exceptions.TimeoutError:
            raise Refused(Reason.TIMEOUT, "stopped answering") from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise Refused(Reason.BROKEN, type(error).__name__) from None
        return b"".join(parts)

    def _connect_failed(self, host: str, error: Exception) -> Refused:
        if isinstance(error, urllib3.exceptions.SSLError):
            refused = Refused(Reason.TLS, "certificate or handshake")
        elif isinstance(error, urllib3.exceptions.NewConnectionError):
            refused = Refused(Reason.CONNECT, "connection refused or unreachable")
        elif isinstance(error, urllib3.exceptions.ConnectTimeoutError):
            refused = Refused(Reason.TIMEOUT, "no connection")
        elif isinstance(error, urllib3.exceptions.TimeoutError):
            return Refused(Reason.TIMEOUT, "no answer")
        else:
            return Refused(Reason.BROKEN, type(error).__name__)
        with self._lock:
            self._dead[host] = refused
        return refused

    def _address(self, target: "_Target") -> str:
        """The one address to connect to, checked; every answer the name gives must pass."""
        key = (target.host, target.port)
        with self._lock:
            known = self._addresses.get(key)
        if known is None:
            known = self._check(target)
            with self._lock:
                self._addresses[key] = known
        if isinstance(known, Refused):
            raise known
        return known

    def _check(self, target: "_Target") -> str | Refused:
        try:
            answers = _resolve(target.host, target.port, self.limits.connect_seconds)
        except Refused as refused:
            return refused
        self.resolved_any = True
        for answer in answers:
            if not self._public(ipaddress.ip_address(answer)):
                return Refused(Reason.ADDRESS, f"{target.host} is {answer}")
        return answers[0]

    def _public(self, address) -> bool:
        if address.version == 6 and (address.ipv4_mapped or address.sixtofour):
            address = address.ipv4_mapped or address.sixtofour
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not address.is_multicast

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._slots.setdefault(host, threading.BoundedSemaphore(self.limits.per_host))

    def _pool(self, target: "_Target", address: str) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, target.host, address, target.port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if target.scheme == "https":
                    # Connect to the checked address; SNI and the certificate check use the host name.
                    pool = urllib3.HTTPSConnectionPool(address, target.port, maxsize=self.limits.per_host,
                                                       retries=False, cert_reqs="CERT_REQUIRED",
                                                       assert_hostname=target.host, server_hostname=target.host)
                else:
                    pool = urllib3.HTTPConnectionPool(address, target.port, maxsize=self.limits.per_host,
                                                      retries=False)
                self._pools[key] = pool
            return pool


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA), no brackets
    port: int
    host_header: str
    request_path: str

    @classmethod
    def parse(cls, url: str) -> "_Target":
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise Refused(Reason.SCHEME, "not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(Reason.SCHEME, parts.scheme or "no scheme")
        if parts.username is not None or parts.password is not None:
            raise Refused(Reason.SCHEME, "credentials in the address")
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise Refused(Reason.SCHEME, "not a valid host name") from None
        default = 443 if parts.scheme == "https" else 80
        shown = f"[{host}]" if ":" in host else host
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if any(ord(c) < 33 or ord(c) == 127 for c in path):
            raise Refused(Reason.SCHEME, "spaces or control characters in the path")
        return cls(parts.scheme, host, port or default, shown if port in (None, default) else f"{shown}:{port}", path)


def _seconds(retry_after: str) -> float | None:
    """Retry-After as seconds from now: a number of seconds, or an HTTP date."""
    value = retry_after.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds()) if when.tzinfo else None


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """Every address `host` resolves to, within `timeout` (getaddrinfo itself has none: a stalled resolver
    would hold the whole run, so the lookup runs aside and is abandoned when late)."""
    answers: queue.Queue = queue.Queue(maxsize=1)

    def lookup() -> None:
        try:
            answers.put(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            answers.put(error)

    threading.Thread(target=lookup, daemon=True).start()
    try:
        found = answers.get(timeout=timeout)
    except queue.Empty:
        raise Refused(Reason.DNS, f"{host}: no answer in {timeout:g} s") from None
    if isinstance(found, Exception):
        raise Refused(Reason.DNS, host)
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in found))
    if not addresses:
        raise Refused(Reason.DNS, host)
    return addresses


@dataclass(frozen=True)
class Picture:
    """Bytes that are an image Pillow can open, with its size and format."""

    image: Image.Image
    format: str
    width: int
    height: int


def open_image(data: bytes, max_pixels: int) -> Picture:
    """`data` decoded as a JPEG, PNG, WebP or GIF of at most `max_pixels` pixels (a decompression bomb,
    a few kilobytes that decode to gigabytes, is refused from its header, before it is decoded)."""
    try:
        image = Image.open(BytesIO(data), formats=IMAGE_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Refused(Reason.NOT_IMAGE, "not a JPEG, PNG, WebP or GIF") from None
    except Image.DecompressionBombError:
        raise Refused(Reason.TOO_MANY_PIXELS, "over the limit") from None
    width, height = image.size
    if width * height > max_pixels:
        raise Refused(Reason.TOO_MANY_PIXELS, f"{width}x{height}")
    try:
        image.seek(0)
        image.load()
    except Image.DecompressionBombError:
        raise Refused(Reason.TOO_MANY_PIXELS, f"{width}x{height}") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise Refused(Reason.NOT_IMAGE, "truncated or broken") from None
    return Picture(image, image.format or "", width, height)
