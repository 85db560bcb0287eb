/** "Did you mean …?" for unknown config keys, environment variables and enum values. */

/** Case, `_` and `-` are ignored: `data_dir` and `DATA-DIR` both find `dataDir`. */
const normalize = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** Typos of up to 2 edits, and at most one per 3 characters, are suggested; others are unrelated. */
const MAX_EDITS = 2;
const CHARS_PER_EDIT = 3;
/** A known name that extends the given one (`epochLength` → `epochLengthSeconds`) counts as 1 edit. */
const MIN_PREFIX_LENGTH = 3;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate, if one is a near miss (few edits, or a prefix such as `epochLength`). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = normalize(name);
  const allowed = Math.min(MAX_EDITS, Math.floor(wanted.length / CHARS_PER_EDIT));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const other = normalize(candidate);
    const isPrefix = other.startsWith(wanted) && wanted.length >= MIN_PREFIX_LENGTH;
    const distance = wanted === other ? 0 : isPrefix ? 1 : editDistance(wanted, other);
    if (distance <= (isPrefix ? 1 : allowed) && (best === undefined || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

/** `unknown key` with a suggestion appended when one is close. */
export function unknownName(what: string, name: string, candidates: readonly string[]): string {
  const suggestion = closest(name, candidates);
  return suggestion === undefined ? `unknown ${what}` : `unknown ${what} (did you mean "${suggestion}"?)`;
}
