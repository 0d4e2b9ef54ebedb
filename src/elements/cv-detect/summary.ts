/** Plurals of the COCO-80 names that do not just add -s or -es. */
const IRREGULAR: Record<string, string> = { person: 'people', mouse: 'mice', knife: 'knives', sheep: 'sheep', skis: 'skis', scissors: 'scissors' };

/** "1 dog", "2 people", "3 buses". */
export function countOf(label: string, n: number): string {
  if (n === 1) return `1 ${label}`;
  const plural = IRREGULAR[label] ?? (/(s|sh|ch|x)$/.test(label) ? `${label}es` : `${label}s`);
  return `${n} ${plural}`;
}

/** "2 people, 1 dog": counts per label, most first (ties in the order they were found, best score first). */
export function summarizeObjects(objects: readonly { label: string }[], count: (label: string, n: number) => string = countOf): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.label, (counts.get(o.label) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => count(label, n)).join(', ');
}
