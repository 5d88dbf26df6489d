// The search page (templates/search.html). Pagefind's browser API, loaded from this site's own
// pagefind/ folder, searches the index written at build time; nothing is fetched from anywhere else.
// Until it has loaded (or if it cannot: no JavaScript module support, no index yet) the page shows
// its note linking the topics and the archive instead.
const PAGE = 20;
const ORDERS = { newest: { date: "desc" }, oldest: { date: "asc" } };

const form = document.getElementById("search");
if (form) start(form);

async function start(form) {
  let pagefind;
  try {
    pagefind = await import(form.dataset.bundle + "pagefind.js");
    await pagefind.options({ baseUrl: form.dataset.base, excerptLength: 30 });
    await pagefind.init();
  } catch {
    return;
  }
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
  const asked = new URLSearchParams(location.search);
  words.value = asked.get("q") || "";
  order.value = ORDERS[asked.get("order")] ? asked.get("order") : "";
  for (const select of filters) {
    const wanted = asked.get(select.name);
    if ([...select.options].some((option) => option.value === wanted)) select.value = wanted;
  }
  document.getElementById("search-note").hidden = true;
  form.hidden = false;

  async function search(now) {
    const mine = ++generation;
    const query = words.value.trim();
    const chosen = Object.fromEntries(filters.filter((s) => s.value).map((s) => [s.dataset.filter, s.value]));
    remember(query, chosen);
    if (!query && !Object.keys(chosen).length) {
      results = [];
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "";
      return;
    }
    const options = { filters: chosen, sort: ORDERS[order.value] };
    const found = now ? await pagefind.search(query || null, options)
                      : await pagefind.debouncedSearch(query || null, options, 250);
    if (found === null || mine !== generation) return;  // a newer search replaced this one
    results = found.results;
    shown = 0;
    list.replaceChildren();
    await showMore(mine, false);
    if (mine !== generation) return;
    const count = results.length === 1 ? "1 story" : `${results.length} stories`;
    status.textContent = results.length ? `${count} found.` : "No stories found. Try other words or fewer filters.";
  }

  async function showMore(mine, focus) {
    const next = results.slice(shown, shown + PAGE);
    const loaded = await Promise.all(next.map((result) => result.data()));
    if (mine !== generation) return;
    const items = loaded.map(resultItem);
    list.append(...items);
    shown += next.length;
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

function resultItem(data) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [data.meta.date, data.meta.outlet].filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.append(...highlighted(data.excerpt));
  item.append(heading, meta, excerpt);
  return item;
}

// Pagefind escapes the story's text and adds only <mark> around the words found; whatever else the
// excerpt might hold is still kept as plain text.
function highlighted(excerpt) {
  const parsed = document.createElement("template");
  parsed.innerHTML = excerpt;
  return [...parsed.content.childNodes].map((node) => {
    if (node.nodeName !== "MARK") return document.createTextNode(node.textContent);
    const mark = document.createElement("mark");
    mark.textContent = node.textContent;
    return mark;
  });
}
