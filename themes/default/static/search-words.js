// What the search page needs to read the index generator/search.py writes: words as the build splits
// them, the name of a word's file, a light stemmer for a word no story holds in that exact form, the
// words closest to one no story holds (from /search/words.json), and a snippet around the words found.

const WORD = /[\p{L}\p{N}]+/gu;
const KEY_LENGTH = 2;
// Only for a word no story holds as typed: "approvals" -> "approv", the light stem of "approval" and
// "approved", whose own stems the index gives.
const SUFFIXES = ["ations", "ation", "ions", "ion", "ments", "ment", "ings", "ing", "ness", "als", "al", "ers", "er",
                  "ies", "ied", "ed", "es", "ly", "s", "e", "y"];

export function words(text) {
  return text.toLowerCase().match(WORD) || [];
}

// The word file holding `word`: its first two letters, spelled in hex unless plain a-z and 0-9
// (search.py's key_of).
export function keyOf(word) {
  const key = [...word].slice(0, KEY_LENGTH).join("");
  if (/^[a-z0-9]+$/.test(key)) return key;
  return "x" + [...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function lightStem(word) {
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) return word.slice(0, -suffix.length);
  }
  return word;
}

export class Vocabulary {
  constructor(counts) {
    this.counts = counts;
    this.list = Object.keys(counts).sort();
  }

  static async load(url) {
    try {
      const response = await fetch(url);
      return response.ok ? new Vocabulary(await response.json()) : null;
    } catch {
      return null;
    }
  }

  // The words some story holds that are fewest edits away (at most 1, or 2 for longer words), most
  // common first.
  closest(asked, limit = 3) {
    const most = asked.length <= 4 ? 1 : 2;
    const found = [];
    for (const word of this.list) {
      if (Math.abs(word.length - asked.length) > most || word === asked) continue;
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

// About `length` words of `text` around the first word `hit` accepts, as [{text, mark}] parts, with
// "…" where the text goes on.
export function snippet(text, hit, length = 30) {
  const spans = [...text.matchAll(WORD)];
  if (!spans.length) return [];
  const hits = spans.map((span) => hit(span[0].toLowerCase()));
  const first = Math.max(0, hits.indexOf(true));
  const start = Math.max(0, Math.min(first - 8, spans.length - length));
  const end = Math.min(spans.length, start + length);
  const from = start === 0 ? 0 : spans[start].index;
  const to = end === spans.length ? text.length : spans[end - 1].index + spans[end - 1][0].length;
  const parts = start > 0 ? [{ text: "…", mark: false }] : [];
  let at = from;
  for (let n = start; n < end; n++) {
    if (!hits[n]) continue;
    const span = spans[n];
    if (span.index > at) parts.push({ text: text.slice(at, span.index), mark: false });
    parts.push({ text: span[0], mark: true });
    at = span.index + span[0].length;
  }
  if (to > at) parts.push({ text: text.slice(at, to), mark: false });
  if (end < spans.length) parts.push({ text: "…", mark: false });
  return parts;
}
