/**
 * CSV as RFC 4180 describes it: records end in CRLF; a field containing a comma, a double quote,
 * CR or LF is enclosed in double quotes, with each double quote inside doubled. Null and undefined
 * are empty fields; numbers are written as JavaScript prints them (shortest exact form).
 */
export type CsvValue = string | number | boolean | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;
const CRLF = '\r\n';

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header record then one record per row, each ending in CRLF. */
export function csvTable(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((cells) => cells.map(csvField).join(',') + CRLF).join('');
}
