import { readFileSync } from 'node:fs';

/** A JSON file of test/fixtures/reference/ (reference goldens copied as data, source noted inside). */
export function loadReferenceFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/reference/${name}`, import.meta.url), 'utf8')) as T;
}

/** Asserts that `fn` throws an error of class `type` carrying the stable `code`. */
export function expectCode(
  fn: () => unknown,
  type: abstract new (...args: never[]) => Error,
  code: string,
): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof type)) {
    throw new Error(
      `expected ${type.name} ${code}, got ${caught instanceof Error ? caught.stack : String(caught)}`,
    );
  }
  const actual = (caught as Error & { code?: string }).code;
  if (actual !== code) throw new Error(`expected code ${code}, got ${actual}: ${caught.message}`);
}
