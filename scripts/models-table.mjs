#!/usr/bin/env node
// Prints the README's model table from models/catalog.json: source, licence, size and the verification
// figure of each variant, so the README says exactly what the catalog says.
import { readFileSync } from 'node:fs';

const catalog = JSON.parse(readFileSync(new URL('../models/catalog.json', import.meta.url), 'utf8'));
const kb = (b) => `${Math.round(b / 1024)} KB`;
const figure = (v) => {
  if (!v) return '';
  const f = [];
  if (v.maskIoU !== undefined) f.push(`IoU ${v.maskIoU.toFixed(3)}`);
  if (v.top1Agreement !== undefined) f.push(`top-1 ${(v.top1Agreement * 100).toFixed(0)} %`);
  if (v.boxIoU !== undefined) f.push(`box IoU ${v.boxIoU.toFixed(3)}, agreement ${v.detectionAgreement.toFixed(2)}`);
  if (v.psnr !== undefined) f.push(`PSNR ${v.psnr.toFixed(1)} dB`);
  if (v.psnrMinDb !== undefined) f.push(`PSNR ≥ ${v.psnrMinDb} dB`);
  if (v.minCosine !== undefined) f.push(`cos ≥ ${v.minCosine.toFixed(3)}`);
  if (v.maskIoUMean !== undefined) f.push(`IoU ${v.maskIoUMean}`);
  if (v.maxAbsDiff !== undefined && !f.length) f.push(`max diff ${v.maxAbsDiff}`);
  if (v.latency?.ratio !== undefined) f.push(`×${v.latency.ratio} fp32 time`);
  return f.join(', ');
};
console.log('| name | task | source | licence | fp32 vs source | int8 vs fp32 (WASM) | fp16 vs fp32 |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, e] of Object.entries(catalog.models)) {
  if (e.parts) {
    console.log(`| \`${name}\` | ${e.task} | parts: ${Object.values(e.parts).map((p) => `\`${p}\``).join(' + ')} | | | | |`);
    continue;
  }
  const src = e.source?.package ? `${e.source.package} ${e.source.version}` : e.source?.script ?? '';
  const lic = e.source?.originLicense && e.source.originLicense !== e.source.license ? `${e.source.license}; origin ${e.source.originLicense}` : e.source?.license ?? '';
  const v = e.variants;
  const mixed = (x) => (x.keepFloat?.length ? `, ${x.keepFloat.length} nodes float` : '');
  const cell = (p) => (v[p] ? `${kb(v[p].bytes)}: ${figure(v[p].verify)}${mixed(v[p])}${v[p].default === false ? ' — not default' : ''}` : '—');
  console.log(`| \`${name}\` | ${e.task} | ${src} | ${lic} | ${cell('fp32')} | ${cell('int8')} | ${cell('fp16')} |`);
}
