// Tiny argv parser: `--key value`, `--key=value`, `-o value`, boolean `--flag`, positionals.

/**
 * @param {string[]} argv
 * @param {{ boolean?: string[], alias?: Record<string, string> }} [spec]
 * @returns {{ _: string[], [k: string]: any }}
 */
export function parseArgs(argv, spec = {}) {
  const bools = new Set(spec.boolean ?? []);
  const alias = spec.alias ?? {};
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out._.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      let key = a.replace(/^--?/, '');
      let value;
      const eq = key.indexOf('=');
      if (eq >= 0) { value = key.slice(eq + 1); key = key.slice(0, eq); }
      key = alias[key] ?? key;
      if (bools.has(key)) { out[key] = value === undefined ? true : value !== 'false'; continue; }
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new Error(`Missing value for --${key}`);
        value = argv[++i];
      }
      out[key] = value;
    } else out._.push(a);
  }
  return out;
}

export function list(v) {
  return v ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}
