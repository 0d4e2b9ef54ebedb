// The closed list of cv-error codes, read from src/errors.ts itself so the tests cannot drift from it.
const source = await (await fetch('/src/errors.ts')).text();
const list = /ERROR_CODES = \[([\s\S]*?)\]/.exec(source)[1];
export const ERROR_CODES = [...list.matchAll(/['"]([a-z-]+)['"]/g)].map((m) => m[1]);
if (ERROR_CODES.length < 20) throw new Error(`could not read ERROR_CODES from src/errors.ts (${ERROR_CODES.length})`);
