// The search page (templates/search.html). It reads the index the build writes under search/index/
// (generator/search.py says what each file holds), from this site alone, and loads only the files a
// query needs. Until the index has loaded (or if it cannot: no JavaScript module support, no index)
// the page shows its note linking the topics and the archive instead.
import { Vocabulary, keyOf, lightStem, snippet, words as wordsIn } from "./search-words.js";

const PAGE = 20;
const FILTERS = { outlet: 0, month: 1, topic: 2 };  // where site.json's docs rows hold each filter

async function getJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function numbers(gaps) {
  let at = 0;
  return gaps.map((gap) => (at += gap));
}

class Index {
  constructor(base, site) {
    this.base = base;
    this.site = site;
    this.keys = new Set(site.keys);
    this.files = new Map();
  }

  static async load(base) {
    const site = await getJSON(base + "site.json");
    return site.version === 1 ? new Index(base, site) : null;
  }

  file(path) {
    if (!this.files.has(path)) this.files.set(path, getJSON(this.base + path));
    return this.files.get(path);
  }

  wordFile(word) {
    const key = keyOf(word);
    return this.keys.has(key) ? this.file(`w/${key}.json`) : Promise.resolve(null);
  }

  // The stories holding `asked` (the word, any word sharing its stem, and, while it is being `typing`,
  // any word it starts), those whose headline does, and every form of it the stories hold; null if none.
  async find(asked, typing) {
    const file = await this.wordFile(asked);
    if (!file) return null;
    const all = Object.keys(file.words);
    let forms = Object.hasOwn(file.words, asked) ? [asked] : all.filter((w) => lightStem(w) === lightStem(asked));
    if (typing && [...asked].length >= 2) forms = forms.concat(all.filter((w) => w.startsWith(asked)));
    if (!forms.length) return null;
    const stems = new Set(forms.map((w) => file.words[w]));
    const stories = new Set();
    const titles = new Set();
    for (const stem of stems) {
      const holder = keyOf(stem) === keyOf(asked) ? file : await this.wordFile(stem);
      const found = holder && holder.stems[stem];
      if (!found) continue;
      for (const n of numbers(found[0])) stories.add(n);
      for (const n of numbers(found[1])) titles.add(n);
    }
    return { stories, titles, forms: new Set(all.filter((w) => stems.has(file.words[w]))) };
  }

  // Documents in order, each [address, headline, outlet, date, text].
  async documents(list) {
    const size = this.site.chunk;
    const chunks = await Promise.all([...new Set(list.map((n) => Math.floor(n / size)))].map(
      async (c) => [c, await this.file(`d/${c}.json`)]));
    const byChunk = new Map(chunks);
    return list.map((n) => byChunk.get(Math.floor(n / size))[n % size]);
  }

  // Each filter's values (by number) that document `n` has.
  values(filter, n) {
    const row = this.site.docs[n];
    return filter === "topic" ? row.slice(FILTERS.topic) : [row[FILTERS[filter]]];
  }

  names(filter) {
    return { outlet: this.site.outlets, month: this.site.months, topic: this.site.topics }[filter];
  }

  // How many stories each filter value has, by filter name.
  counts() {
    const counts = {};
    for (const filter of Object.keys(FILTERS)) {
      const names = this.names(filter);
      counts[filter] = {};
      for (let n = 0; n < this.site.count; n++) {
        for (const value of this.values(filter, n)) {
          if (names[value] !== undefined) counts[filter][names[value]] = (counts[filter][names[value]] || 0) + 1;
        }
      }
    }
    return counts;
  }

  // A test of whether a document (by number) has every chosen filter value.
  filter(chosen) {
    const wanted = Object.entries(chosen).map(([filter, value]) => [filter, this.names(filter).indexOf(value)]);
    return (n) => wanted.every(([filter, value]) => this.values(filter, n).includes(value));
  }
}

async function start(form) {
  let index;
  try {
    index = await Index.load(form.dataset.index);
  } catch {
    index = null;
  }
  if (!index) return;
  const words = form.elements.q;
  const order = form.elements.order;
  const filters = [...form.querySelectorAll("select[data-filter]")];
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const more = document.getElementById("search-more");
  const header = document.getElementById("site-search-words");
  let vocabulary = null;
  let results = [];
  let shown = 0;
  let generation = 0;
  let hit = () => false;
  let timer = 0;

  fillFilters(index.counts(), filters);
  const given = new URLSearchParams(location.search);
  words.value = given.get("q") || "";
  if (header) header.value = words.value;  // the header's box says what this page searched for
  order.value = ["newest", "oldest"].includes(given.get("order")) ? given.get("order") : "";
  for (const select of filters) {
    const wanted = given.get(select.name);
    if ([...select.options].some((option) => option.value === wanted)) select.value = wanted;
  }
  document.getElementById("search-note").classList.add("gone");
  form.classList.remove("pending");

  // `typing`: the words are being typed, so the last one may still grow.
  async function search(typing = false) {
    const mine = ++generation;
    const query = words.value.trim();
    const chosen = Object.fromEntries(filters.filter((s) => s.value).map((s) => [s.dataset.filter, s.value]));
    remember(query, chosen);
    const asked = wordsIn(query);
    if (!asked.length && !Object.keys(chosen).length) return show(mine, [], "");
    const growing = typing && !/\s$/.test(words.value);
    const found = await Promise.all(asked.map((word, n) => index.find(word, growing && n === asked.length - 1)));
    if (mine !== generation) return;
    const missing = asked.filter((_, n) => !found[n]);
    if (missing.length) return sayMissing(mine, missing, query);
    const passes = index.filter(chosen);
    let matches = [];
    for (let n = 0; n < index.site.count; n++) {
      if (found.every((f) => f.stories.has(n)) && passes(n)) matches.push(n);
    }
    matches.reverse();  // newest first
    if (order.value === "oldest") matches.reverse();
    else if (!order.value && asked.length) {  // best match: headline matches first, each part newest first
      const inTitle = (n) => found.every((f) => f.titles.has(n));
      matches = [...matches.filter(inTitle), ...matches.filter((n) => !inTitle(n))];
    }
    const forms = found.map((f) => f.forms);
    hit = (word) => forms.some((f) => f.has(word));
    const count = matches.length === 1 ? "1 story" : `${matches.length} stories`;
    show(mine, matches, matches.length ? `${count} found.` : "No stories found. Try other words or fewer filters.");
  }

  async function show(mine, matches, said) {
    results = matches;
    shown = 0;
    const items = await nextItems(mine);
    if (mine !== generation) return;
    list.replaceChildren(...items);
    status.textContent = said;
    more.hidden = shown >= results.length;
  }

  async function nextItems(mine) {
    const next = results.slice(shown, shown + PAGE);
    const docs = await index.documents(next);
    if (mine !== generation) return [];
    shown += next.length;
    return docs.map((doc) => resultItem(doc, hit));
  }

  async function sayMissing(mine, missing, query) {
    vocabulary = vocabulary || await Vocabulary.load(form.dataset.words);
    if (mine !== generation) return;
    results = [];
    list.replaceChildren();
    more.hidden = true;
    const quoted = missing.map((word) => `“${word}”`).join(" or ");
    status.replaceChildren(`No story mentions ${quoted}.`);
    const offers = missing.map((word) => [word, vocabulary ? vocabulary.closest(word) : []])
                          .filter(([, closest]) => closest.length);
    for (const [word, closest] of offers) {
      status.append(" Did you mean ");
      closest.forEach((better, n) => {
        const link = document.createElement("a");
        const params = new URLSearchParams(location.search);
        params.set("q", query.toLowerCase().split(word).join(better));
        link.href = `?${params}`;
        link.textContent = better;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          words.value = params.get("q");
          search();
        });
        status.append(...(n ? [n === closest.length - 1 ? " or " : ", "] : []), link);
      });
      status.append("?");
    }
  }

  function remember(query, chosen) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    for (const select of filters) if (chosen[select.dataset.filter]) params.set(select.name, select.value);
    if (order.value) params.set("order", order.value);
    history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
    if (header) header.value = query;
  }

  words.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(true), 150);
  });
  for (const select of [...filters, order]) select.addEventListener("change", () => search());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
  more.addEventListener("click", async () => {
    const mine = generation;
    const items = await nextItems(mine);
    if (mine !== generation) return;
    list.append(...items);
    more.hidden = shown >= results.length;
    if (items.length) items[0].querySelector("a").focus();
  });
  if (words.value || filters.some((s) => s.value)) {
    await search();
    words.focus();  // a search sent from another page's header leaves the reader here, not on <body>
  }
}

function fillFilters(available, selects) {
  const months = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
                                         { month: "long", year: "numeric", timeZone: "UTC" });
  for (const select of selects) {
    const counts = available[select.dataset.filter] || {};
    let values = Object.keys(counts).sort((a, b) => a.localeCompare(b));
    if (select.dataset.filter === "month") values = values.reverse();  // "YYYY-MM": newest first
    for (const value of values) {
      let label = value;
      if (select.dataset.filter === "month") {
        const [year, month] = value.split("-").map(Number);
        if (year && month) label = months.format(new Date(Date.UTC(year, month - 1, 1)));
      }
      select.append(new Option(`${label} (${counts[value]})`, value));
    }
  }
}

function resultItem([address, title, outlet, date, text], hit) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = document.getElementById("search").dataset.base + address;
  link.textContent = title || address;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [outlet, date].filter(Boolean).join(" · ");  // as every list says it
  const excerpt = document.createElement("p");
  for (const part of snippet(text, hit)) {
    if (!part.mark) excerpt.append(part.text);
    else excerpt.append(Object.assign(document.createElement("mark"), { textContent: part.text }));
  }
  item.append(heading, meta, excerpt);
  return item;
}

const form = document.getElementById("search");
if (form) start(form);
