// What the search page needs besides Pagefind: which words a query holds, whether a story holds each
// of them (the word itself, an inflection of it, or for the word being typed a longer word it starts),
// the words that do exist closest to one that does not, and a snippet from the story's own text.
// /search/words.json lists every indexed word with its story count (generator/search.py writes it).

const WORD = /[\p{L}\p{N}]+/gu;
// Longest first: "approvals" -> "approv", "approved" -> "approv", "approval" -> "approv".
const SUFFIXES = ["ations", "ation", "ions", "ion", "ments", "ment", "ings", "ing", "ness", "als", "al", "ers", "er",
                  "ies", "ied", "ed", "es", "ly", "s", "e", "y"];

export function words(text) {
  return (text.toLocaleLowerCase().match(WORD) || []);
}

export function stem(word) {
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

// `typing`: the query's last word, which may be unfinished.
export function matches(asked, word, typing) {
  return word === asked || stem(word) === stem(asked) || (typing && word.startsWith(asked));
}

export class Vocabulary {
  constructor(counts) {
    this.counts = counts;
    this.list = Object.keys(counts).sort();
    this.stems = new Map();
    for (const word of this.list) this.stems.set(stem(word), (this.stems.get(stem(word)) || 0) + counts[word]);
  }

  static async load(url) {
    try {
      const response = await fetch(url);
      return response.ok ? new Vocabulary(await response.json()) : null;
    } catch {
      return null;
    }
  }

  has(asked, typing) {
    if (this.counts[asked] || this.stems.has(stem(asked))) return true;
    if (!typing) return false;
    let low = 0, high = this.list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.list[middle] < asked) low = middle + 1; else high = middle;
    }
    return low < this.list.length && this.list[low].startsWith(asked);
  }

  // The words some story holds that are fewest edits away (at most 1, or 2 for longer words), most
  // common first.
  closest(asked, limit = 3) {
    const most = asked.length <= 4 ? 1 : 2;
    const found = [];
    for (const word of this.list) {
      if (Math.abs(word.length - asked.length) > most) continue;
      const distance = edits(asked, word, most);
      if (distance <= most) found.push({ word, distance, count: this.counts[word] });
    }
    found.sort((a, b) => a.distance - b.distance || b.count - a.count || (a.word < b.word ? -1 : 1));
    return found.slice(0, limit).map((f) => f.word);
  }
}

// Optimal string alignment distance (a swap of two letters is one edit), giving up past `most`.
function edits(a, b, most) {
  let before = null;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1);
      }
      row.push(value);
      best = Math.min(best, value);
    }
    if (best > most) return most + 1;
    before = previous;
    previous = row;
  }
  return previous[b.length];
}

// Whether a text holds every asked word; the last one may be unfinished.
export function holdsAll(text, asked) {
  const found = new Set(words(text));
  return asked.every((word, n) => [...found].some((w) => matches(word, w, n === asked.length - 1)));
}

// About `length` words of `text` around the first word asked, as [{text, mark}] parts, with "…" where
// the text goes on.
export function snippet(text, asked, length = 30) {
  const spans = [...text.matchAll(WORD)];
  const hit = (span) => asked.some((word, n) => matches(word, span[0].toLocaleLowerCase(), n === asked.length - 1));
  const first = Math.max(0, spans.findIndex(hit));
  const start = Math.max(0, Math.min(first - 8, spans.length - length));
  const end = Math.min(spans.length, start + length);
  if (!spans.length) return [];
  const from = start === 0 ? 0 : spans[start].index;
  const to = end === spans.length ? text.length : spans[end - 1].index + spans[end - 1][0].length;
  const parts = start > 0 ? [{ text: "…", mark: false }] : [];
  let at = from;
  for (const span of spans.slice(start, end)) {
    if (!hit(span)) continue;
    if (span.index > at) parts.push({ text: text.slice(at, span.index), mark: false });
    parts.push({ text: span[0], mark: true });
    at = span.index + span[0].length;
  }
  if (to > at) parts.push({ text: text.slice(at, to), mark: false });
  if (end < spans.length) parts.push({ text: "…", mark: false });
  return parts;
}
