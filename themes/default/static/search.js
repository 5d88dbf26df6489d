// The search page (templates/search.html). Pagefind's browser API, loaded from this site's own
// pagefind/ folder, searches the index written at build time; nothing is fetched from anywhere else.
// Until it has loaded (or if it cannot: no JavaScript module support, no index yet) the page shows
// its note linking the topics and the archive instead.
import { Vocabulary, holdsAll, snippet, words as wordsIn } from "./search-words.js";

const PAGE = 20;
const ORDERS = { newest: { date: "desc" }, oldest: { date: "asc" } };
// Up to this many candidates are all checked, then ranked: headline matches first, newest first
// within each. A broader query is checked page by page as it is shown, in Pagefind's own order.
const CHECK_ALL = 300;

const form = document.getElementById("search");
if (form) start(form);

async function start(form) {
  let pagefind;
  const vocabulary = Vocabulary.load(form.dataset.words);
  try {
    pagefind = await import(form.dataset.bundle + "pagefind.js");
    await pagefind.options({ baseUrl: form.dataset.base, excerptLength: 30 });
    await pagefind.init();
  } catch {
    return;
  }
  const known = await vocabulary;
  const words = form.elements.q;
  const order = form.elements.order;
  const filters = [...form.querySelectorAll("select[data-filter]")];
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const more = document.getElementById("search-more");
  let results = [];
  let shown = 0;
  let generation = 0;

  fillFilters(await pagefind.filters(), filters);
  const given = new URLSearchParams(location.search);
  words.value = given.get("q") || "";
  order.value = ORDERS[given.get("order")] ? given.get("order") : "";
  for (const select of filters) {
    const wanted = given.get(select.name);
    if ([...select.options].some((option) => option.value === wanted)) select.value = wanted;
  }
  document.getElementById("search-note").hidden = true;
  form.hidden = false;

  let asked = [];
  let typing = false;

  async function search(now) {
    const mine = ++generation;
    const query = words.value.trim();
    const chosen = Object.fromEntries(filters.filter((s) => s.value).map((s) => [s.dataset.filter, s.value]));
    remember(query, chosen);
    list.replaceChildren();
    more.hidden = true;
    results = [];
    shown = 0;
    if (!query && !Object.keys(chosen).length) {
      status.textContent = "";
      return;
    }
    asked = wordsIn(query);
    typing = !now && !/\s$/.test(words.value);  // the last word may still be growing
    const missing = known ? asked.filter((word, n) => !known.has(word, typing && n === asked.length - 1)) : [];
    if (missing.length) return sayMissing(missing, query);
    const options = { filters: chosen, sort: ORDERS[order.value] || (asked.length ? { date: "desc" } : undefined) };
    const found = now ? await pagefind.search(query || null, options)
                      : await pagefind.debouncedSearch(query || null, options, 250);
    if (found === null || mine !== generation) return;  // a newer search replaced this one
    results = found.results.map((result) => ({ result, data: null }));
    let exact = !asked.length;
    if (asked.length && results.length <= CHECK_ALL) {
      await check(results, mine);
      if (mine !== generation) return;
      results = results.filter((r) => r.holds);
      if (!ORDERS[order.value]) {  // best match: headline matches first; each part stays newest first
        results = [...results.filter((r) => r.inTitle), ...results.filter((r) => !r.inTitle)];
      }
      exact = true;
    }
    await showMore(mine, false);
    if (mine !== generation) return;
    const count = results.length === 1 ? "1 story" : `${results.length} stories`;
    status.textContent = results.length ? `${exact ? "" : "About "}${count} found.`
                                        : "No stories found. Try other words or fewer filters.";
  }

  async function check(candidates, mine) {
    const data = await Promise.all(candidates.map((c) => c.data || c.result.data()));
    if (mine !== generation) return;
    candidates.forEach((candidate, n) => {
      const title = data[n].meta.title || "";
      candidate.data = data[n];
      candidate.holds = holdsAll(`${title} ${data[n].content}`, asked, typing);
      candidate.inTitle = holdsAll(title, asked, typing);
    });
  }

  function sayMissing(missing, query) {
    const quoted = missing.map((word) => `“${word}”`).join(" or ");
    status.replaceChildren(`No story mentions ${quoted}.`);
    const offers = missing.map((word) => [word, known.closest(word).filter((w) => w !== word)])
                          .filter(([, closest]) => closest.length);
    for (const [word, closest] of offers) {
      status.append(" Did you mean ");
      closest.forEach((better, n) => {
        const link = document.createElement("a");
        const params = new URLSearchParams(location.search);
        params.set("q", query.toLocaleLowerCase().split(word).join(better));
        link.href = `?${params}`;
        link.textContent = better;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          words.value = params.get("q");
          search(true);
        });
        status.append(...(n ? [n === closest.length - 1 ? " or " : ", "] : []), link);
      });
      status.append("?");
    }
  }

  async function showMore(mine, focus) {
    const items = [];
    while (items.length < PAGE && shown < results.length) {
      const next = results.slice(shown, shown + PAGE - items.length);
      if (next.some((r) => r.holds === undefined) && asked.length) await check(next.filter((r) => r.holds === undefined), mine);
      else await Promise.all(next.filter((r) => !r.data).map(async (r) => { r.data = await r.result.data(); }));
      if (mine !== generation) return;
      shown += next.length;
      items.push(...next.filter((r) => !asked.length || r.holds).map((r) => resultItem(r.data, asked)));
    }
    list.append(...items);
    more.hidden = shown >= results.length;
    if (focus && items.length) items[0].querySelector("a").focus();
  }

  function remember(query, chosen) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    for (const select of filters) if (chosen[select.dataset.filter]) params.set(select.name, select.value);
    if (order.value) params.set("order", order.value);
    const address = params.toString() ? `?${params}` : location.pathname;
    history.replaceState(null, "", address);
  }

  words.addEventListener("input", () => search(false));
  for (const select of [...filters, order]) select.addEventListener("change", () => search(true));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search(true);
  });
  more.addEventListener("click", () => showMore(generation, true));
  if (words.value || filters.some((s) => s.value)) search(true);
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

function resultItem(data, asked) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [data.meta.outlet, data.meta.date].filter(Boolean).join(" · ");  // as every list says it
  const excerpt = document.createElement("p");
  const title = data.meta.title || "";
  const body = (data.content.startsWith(title) ? data.content.slice(title.length) : data.content)
    .replace(/^[\s.,:;·–—-]+/u, "");  // Pagefind ends the headline with a full stop
  for (const part of snippet(body, asked)) {
    if (!part.mark) excerpt.append(part.text);
    else excerpt.append(Object.assign(document.createElement("mark"), { textContent: part.text }));
  }
  item.append(heading, meta, excerpt);
  return item;
}
