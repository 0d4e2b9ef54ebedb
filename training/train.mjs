#!/usr/bin/env node
// npm run train -- <fashion-cnn|fashion-vae|fashion-dcgan|all> [extra args passed to the Python script]
// Runs /usr/bin/python3 training/<script>.py in the foreground and prints its metrics JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const NETWORKS = {
  'fashion-cnn': 'fashion_cnn.py',
  'fashion-vae': 'fashion_vae.py',
  // needs training/.data/fashion-cnn.pt, so `all` runs it after the CNN
  'fashion-dcgan': 'fashion_dcgan.py',
};
const python = process.env.PYTHON ?? '/usr/bin/python3';

const [target, ...extra] = process.argv.slice(2);
if (!target || !(target === 'all' || target in NETWORKS)) {
  console.error(`usage: npm run train -- <${[...Object.keys(NETWORKS), 'all'].join('|')}> [--epochs N] [--seed S] [--scratch]`);
  process.exit(2);
}
const names = target === 'all' ? Object.keys(NETWORKS) : [target];

for (const name of names) {
  const script = join(here, NETWORKS[name]);
  console.log(`== ${name}: ${python} ${script} ${extra.join(' ')}`);
  const started = Date.now();
  const res = spawnSync(python, [script, ...extra], { cwd: root, stdio: 'inherit' });
  const wall = ((Date.now() - started) / 1000).toFixed(1);
  if (res.status !== 0) {
    console.error(`${name} failed (exit ${res.status ?? res.signal}) after ${wall} s`);
    process.exit(res.status || 1);
  }
  const scratch = extra.includes('--scratch');
  const metricsPath = scratch
    ? join(here, '.data', 'scratch', `${name}-scratch.json`)
    : join(here, 'metrics', `${name}.json`);
  const metrics = JSON.parse(readFileSync(metricsPath, 'utf8'));
  delete metrics.history;
  console.log(`== ${name} metrics (${metricsPath}, wall ${wall} s):`);
  console.log(JSON.stringify(metrics, null, 2));
}
