"""Turn an Output into bytes: Jinja2 templates for pages, feeds.py for feeds. Templates come from the
theme, and a site may override any one of them."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2.runtime
import markupsafe
from markupsafe import Markup
from jinja2 import (ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, PrefixLoader, StrictUndefined,
                    TemplateError, meta)
from jinja2.runtime import Context, Macro

from generator import __version__
from generator.config import SiteConfig
from generator import addresses
from generator.feeds import edition_item, feed_item
from generator.images.plan import share_url, shared_image, store_path
from generator.index import Entry, SiteIndex, path_of
from generator.output import OutputError
from generator.routes import Output, Writer, feed_links
from generator.summaries import human_date, month_label, shorten
from generator.theme import template_dirs
from generator.urls import Urls


class _Context(Context):
    """Calls the site's own globals and the templates' macros, none of which asks for the context, without
    Context.call asking each callable whether it does: a page makes a dozen such calls (url, chrome,
    card...), and the asking was two thirds of each call's cost."""

    def call(__self, __obj, *args, **kwargs):
        if type(__obj) is Macro or id(__obj) in __self.environment.plain_calls:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return Context.call(__self, __obj, *args, **kwargs)


def _escape(value, /) -> Markup:
    """markupsafe.escape, which templates call for every value they print, without a Python-level Markup()
    for the two kinds printed all the time: text, escaped by markupsafe's own C function, and markup
    already safe, which is itself. A tenth of a page's rendering time."""
    kind = type(value)
    if kind is str:
        return _new_text(Markup, _escape_text(value))
    if kind is Markup:
        return value
    return markupsafe.escape(value)


_new_text = str.__new__
_escape_text = getattr(markupsafe, "_escape_inner", None)
if _escape_text is not None:  # compiled templates take `escape` from jinja2.runtime as they load
    jinja2.runtime.escape = _escape


class _Environment(Environment):
    context_class = _Context

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plain_calls: set[int] = set()  # ids of globals known to take no context (see _Context)

    def add_plain_globals(self, **functions) -> None:
        """Globals that take no context: called straight from templates."""
        self.globals.update(functions)
        self.plain_calls.update(id(function) for function in functions.values())

    def make_globals(self, d):
        """A template without globals of its own reads the environment's own dict, as live as Jinja's
        ChainMap over it: copying and comparing that ChainMap in each render and `{% import %}` was a
        tenth of a story page's time."""
        return self.globals if not d else super().make_globals(d)


DATES_KEPT = 4096
ADDRESSES_KEPT = 1 << 16
THEME_PREFIX = "!theme"  # "!theme/base.html": the theme's own template, which the site's may extend


def make_environment(config: SiteConfig, urls: Urls, compiled: Path | None = None) -> Environment:
    """The templates' environment; `compiled`, a folder keeping compiled templates between builds."""
    own, theme_dir = template_dirs(config)
    theme = FileSystemLoader(theme_dir)
    loader = ChoiceLoader([
        FileSystemLoader(own),
        theme,
        PrefixLoader({THEME_PREFIX: theme}),  # lets an override extend the template it replaces
    ])
    # auto_reload would stat every template a page uses on every page; the dev server clears the cache
    # itself when a template file changes.
    # Plain-text templates (email.txt, robots.txt) show names as written: "AT&T", not "AT&amp;T".
    env = _Environment(loader=loader, autoescape=lambda name: not (name or "").endswith(".txt"),
                      undefined=StrictUndefined, auto_reload=False, cache_size=-1,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      bytecode_cache=FileSystemBytecodeCache(str(compiled)) if compiled else None)
    env.globals.update(site=config, generator_version=__version__, address=addresses)
    # A page links a few dozen addresses, most of them (topics, months, the sections) on thousands of pages.
    path, absolute = lru_cache(ADDRESSES_KEPT)(urls.path), lru_cache(ADDRESSES_KEPT)(urls.absolute)
    env.add_plain_globals(url=lambda thing="": path(path_of(thing)),
                          absolute_url=lambda thing="": absolute(path_of(thing)),
                          shared_image=lambda image: shared_image(image, urls))
    tz = config.tz
    env.filters.update(
        # A story's date is printed three or four times on its page, and again in every list showing it.
        iso_date=lru_cache(DATES_KEPT)(lambda d: d.astimezone(tz).isoformat()),
        human_date=lru_cache(DATES_KEPT)(lambda d: human_date(d, tz)),
        month_label=lambda d: month_label(d, tz),
        rebase=urls.rebase_html,
        json_ld=_json_for_script,
        news_article=lambda entry: news_article(entry, config, urls),
        shorten=shorten,
        plain=lambda text: Markup(text).unescape(),  # text an HTML macro escaped, for a plain-text file
    )
    return env


def describe_template_error(error: TemplateError) -> str:
    """`file:line: Kind: message`, as the writer needs it to find the mistake."""
    where = getattr(error, "filename", None) or getattr(error, "name", None) or "template"
    line = f":{error.lineno}" if getattr(error, "lineno", None) else ""
    return f"{where}{line}: {type(error).__name__}: {error.message or error}"


def news_article(entry: Entry, config: SiteConfig, urls: Urls) -> dict:
    """schema.org NewsArticle. The provider wrote the story, not us: it is named as provider and
    the source as isBasedOn, while canonical and publisher stay this site's. What the page's own
    meta tags already say (description, language, topics) is not repeated: every story page carries
    this, and at 100,000 stories each repeated field costs megabytes."""
    article = entry.article
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title[:110],
        "url": urls.absolute(entry.path),
        "datePublished": article.date.isoformat(), "dateModified": article.updated.isoformat(),
        "publisher": {"@type": "Organization", "name": config.title, "url": urls.absolute()},
    }
    optional = {
        "image": [shared] if (shared := share_url(article.image, urls)) else None,
        "isBasedOn": article.outlet_url,
        "provider": {"@type": "Organization", "name": article.outlet} if article.outlet else None,
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


_JSON_LD = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # one, not one per page


def _json_for_script(data) -> Markup:
    """JSON safe inside <script>: no '<', '>' or '&' can end the element or open a comment."""
    text = _JSON_LD.encode(data)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


FEED_ENTRY = 0  # a kind for Renderer._once; cards use their heading level (2, 3)


class Renderer:
    def __init__(self, config: SiteConfig, urls: Urls, drafts: bool, compiled: Path | None = None):
        self.config, self.urls = config, urls
        self.env = make_environment(config, urls, compiled)
        self.env.globals.update(nav_pages=(), site_feeds=(), preview_drafts=drafts)
        self.env.add_plain_globals(card=self._card, headline=self._headline, chrome=self._chrome)
        self._cards: dict[tuple[int, int], tuple[Entry, str]] = {}  # (id(entry), kind) -> (entry, rendered)
        self._chromes: dict[tuple, Markup] = {}  # (macro name, arguments) -> rendered
        self._chrome_macros = None  # _chrome.html's module, made with this build's globals
        self._writers = {Writer.TEMPLATE: self._template, Writer.EMAIL: self._email, Writer.FEED: self._feed,
                         Writer.BYTES: lambda output: output.context["bytes"], Writer.FILE: self._stored}
        assert set(self._writers) == set(Writer), "a kind of output that nothing writes"

    def loaded(self) -> "Renderer":
        """Itself, with every template compiled (forked workers inherit them). A template that does not
        compile is left for the page that uses it to report."""
        for name in self.env.list_templates():
            if name.startswith(THEME_PREFIX + "/"):
                continue  # loaded when the site's own template extends it
            try:
                self.env.get_template(name)
            except TemplateError:
                pass
        return self

    def use(self, index: SiteIndex) -> None:
        """Every page's navigation links the standalone pages, and its head the site's feeds."""
        self.env.globals["nav_pages"] = index.standalone
        self.env.globals["site_feeds"] = feed_links(index.feeds[0]) if index.feeds else ()
        self._cards.clear()
        self._chromes.clear()
        self._chrome_macros = None

    def _chrome(self, name: str, *arguments) -> Markup:
        """A macro of _chrome.html, rendered once per build for each set of `arguments`: its macros see
        only the globals `use` set, so equal arguments make equal markup. The module is made afresh for
        each build, as Jinja's cached one keeps the globals of the build that first imported it."""
        made = self._chromes.get((name, *arguments))
        if made is None:
            if self._chrome_macros is None:
                self._chrome_macros = self.env.get_template("_chrome.html").make_module()
            made = self._chromes[(name, *arguments)] = getattr(self._chrome_macros, name)(*arguments)
        return made

    def _card(self, entry: Entry, level: int = 2) -> Markup:
        """A story's card (the `card` macro of _macros.html): the same card shows on the home pages,
        each of its topics' pages and more, and rendering it for each was half the time of listings."""
        return self._once(entry, level, lambda: self.env.get_template("_macros.html").module.card(entry, level))

    def _headline(self, entry: Entry, outlet: bool = True) -> Markup:
        """A story's line in a headline list (the `headline_item` macro): a story is listed on its topics',
        its outlet's, its month's and the home pages."""
        return self._once(entry, -1 - outlet,
                          lambda: self.env.get_template("_macros.html").module.headline_item(entry, outlet))

    def _once(self, entry: Entry, kind: int, make):
        """What `make` renders for `entry`, rendered once per process. Kept by identity, with the entry,
        so a new index never meets an old rendering."""
        made = self._cards.get((id(entry), kind))
        if made is None or made[0] is not entry:
            made = self._cards[(id(entry), kind)] = (entry, make())
        return made[1]

    def render(self, output: Output) -> bytes:
        return self._writers[output.writer](output)

    def _stored(self, output: Output) -> bytes:
        try:
            return store_path(self.config, output.context["image"]).read_bytes()
        except OSError as error:
            raise OutputError(f"the image store lost {output.path} during the build ({error.strerror}); "
                              f"build again") from None

    def _template(self, output: Output) -> bytes:
        return self.env.get_template(output.template).render(output.context, page_path=output.url_path).encode()

    def _feed(self, output: Output) -> bytes:
        """Any feed in any format: a listing's stories, or (with `editions` in the context) weekly editions."""
        feed = output.context["feed"]
        items = self._edition_items(output) if "editions" in output.context else self._feed_items(feed)
        return output.format.render(feed, items, output.path, self.config, self.urls)

    def _email(self, output: Output) -> bytes:
        """The template's <style> rules moved into style attributes, as mail clients need them."""
        html = self.env.get_template(output.template).render(output.context, page_path=output.url_path)
        return css_inline.inline(html, keep_style_tags=False, load_remote_stylesheets=False).encode()

    def _edition_items(self, output: Output) -> list:
        template = self.env.get_template(output.template)
        return [edition_item(edition, self.config, self.urls, template.render(edition=edition))
                for edition in output.context["editions"]]

    def _feed_items(self, feed) -> list:
        return [feed_item(entry, self.config, self.urls, self._feed_entry) for entry in feed.entries]

    def _feed_entry(self, entry: Entry) -> str:
        """A story's feed content: the same in the site's feed, its topics' and its outlet's, Atom and JSON."""
        return self._once(entry, FEED_ENTRY, lambda: self.env.get_template("feed_entry.html").render(entry=entry))


def template_dependencies(env: Environment) -> dict[str, set[str]]:
    """For each template, itself plus every template it extends, imports or includes, transitively."""
    direct = {}
    for name in env.list_templates():
        source, filename, _ = env.loader.get_source(env, name)
        tree = env.parse(source, name, filename)
        direct[name] = {ref.removeprefix(THEME_PREFIX + "/") for ref in meta.find_referenced_templates(tree) if ref}
    closure = {}
    for name in direct:
        seen, todo = {name}, [name]
        while todo:
            for ref in direct.get(todo.pop(), ()):
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        closure[name] = seen
    return closure
