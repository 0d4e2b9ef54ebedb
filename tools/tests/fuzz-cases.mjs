// Mutations and the case runner for tools/tests/fuzz.test.mjs. Also the worker's entry: the test runs
// cases here in a worker thread so that one that hangs can be cut off.
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---------------- mutations (shared by main and worker; deterministic in the seed) ----------------

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const BIG = [1, 4, 255, 4096, 1 << 20, 0x7fffffff, 0xffffffff, 0x80000000];

function bitflip(b, r) {
  const out = Uint8Array.from(b);
  for (let k = 1 + r.int(8); k > 0; k--) { const i = r.int(out.length); out[i] ^= 1 << r.int(8); }
  return out;
}
function truncate(b, r) {
  // Short prefixes are where header parsing fails; long ones cut weight data.
  const len = r.next() < 0.3 ? r.int(Math.min(64, b.length)) : r.int(b.length);
  return Uint8Array.from(b.subarray(0, len));
}
function splice(b, r) {
  const n = 1 + r.int(Math.min(4096, b.length >> 2));
  const from = r.int(b.length - n), to = r.int(b.length - n);
  const kind = r.int(3);
  if (kind === 0) { const out = Uint8Array.from(b); out.set(b.subarray(from, from + n), to); return out; } // overwrite
  if (kind === 1) return Uint8Array.from([...b.subarray(0, to), ...b.subarray(from, from + n), ...b.subarray(to)]); // insert
  return Uint8Array.from([...b.subarray(0, to), ...b.subarray(to + n)]); // delete
}
/** Flatbuffer offsets and lengths are u32s smaller than the file: inflate one that looks like one. */
function inflateU32(b, r) {
  const out = Uint8Array.from(b);
  const dv = new DataView(out.buffer);
  for (let tries = 0; tries < 200; tries++) {
    const p = r.int((out.length >> 2) - 1) * 4;
    const v = dv.getUint32(p, true);
    if (v > 0 && v < out.length) { dv.setUint32(p, r.next() < 0.5 ? (v + r.pick(BIG)) >>> 0 : r.pick(BIG), true); return out; }
  }
  return bitflip(b, r);
}
/** Sets dimensions of one tensor's shape vector in a .tflite to large values (multi-GB declarations). */
async function inflateTfliteShape(b, r) {
  const { fbRoot } = await import('../lib/flatbuf.mjs');
  const out = Uint8Array.from(b);
  const sg = fbRoot(out).tables(2)[0];
  const tensors = sg.tables(0);
  const v = tensors[r.int(tensors.length)].vec(0, 4);
  if (!v || !v.len) return inflateU32(b, r);
  const dv = new DataView(out.buffer);
  const d = r.int(v.len);
  dv.setInt32(v.start + 4 * d, r.pick([65536, 1 << 24, 0x7fffffff, -1, -65536, 0]), true);
  return out;
}
/** Protobuf: rewrites the length varint of a length-delimited field (wire type 2) to a larger value. */
function inflateVarint(b, r) {
  const fields = [];
  const walk = (start, end, depth) => {
    let p = start;
    while (p < end && fields.length < 5000) {
      let key = 0, shift = 0, byte;
      do { byte = b[p++]; key += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80 && p < end);
      const wire = key % 8;
      if (wire === 0) { while (b[p++] & 0x80 && p < end); } else if (wire === 1) p += 8; else if (wire === 5) p += 4;
      else if (wire === 2) {
        const lp = p;
        let len = 0; shift = 0;
        do { byte = b[p++]; len += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80 && p < end);
        fields.push({ lp, lb: p - lp, len });
        if (depth < 6 && len > 2) walk(p, Math.min(p + len, end), depth + 1);
        p += len;
      } else return;
    }
  };
  walk(0, b.length, 0);
  if (!fields.length) return bitflip(b, r);
  const f = r.pick(fields);
  let v = r.next() < 0.5 ? f.len + r.pick([1, 7, 1000]) : r.pick([1 << 20, 0x7fffffff, 2 ** 40]);
  const enc = [];
  do { enc.push((v % 128) | (v >= 128 ? 0x80 : 0)); v = Math.floor(v / 128); } while (v > 0);
  return Uint8Array.from([...b.subarray(0, f.lp), ...enc, ...b.subarray(f.lp + f.lb)]);
}

/** A JSON value anywhere in the tree replaced by something of the wrong kind or size. */
function mutateJson(json, r) {
  const j = structuredClone(json);
  const holders = [];
  const walk = (v, depth) => {
    if (!v || typeof v !== 'object' || depth > 9) return;
    for (const k of Object.keys(v)) { holders.push([v, k]); walk(v[k], depth + 1); }
  };
  walk(j, 0);
  // Weight manifests and shapes are where the size faults live: aim a third of the cases there.
  const manifest = holders.filter(([h, k]) => k === 'shape' || k === 'paths' || k === 'dtype' || k === 'quantization');
  const [h, k] = r.next() < 0.35 && manifest.length ? r.pick(manifest) : r.pick(holders);
  const choices = [null, 0, -1, 1e12, 2 ** 31, 'x', '../../../../etc/passwd', '/etc/passwd', 'file:///etc/passwd', [], {}, [1e6, 1e6], [-3], true, [null]];
  const op = r.int(4);
  if (op === 0 && !Array.isArray(h)) delete h[k];
  else if (op === 1 && Array.isArray(h[k]) && h[k].length) h[k].push(...h[k].slice(0, 1));
  else h[k] = r.pick(choices);
  return j;
}

// ---------------- worker: runs one case ----------------

export async function runCase({ format, source, seed, dir }) {
  const { inspectFile } = await import('../commands/inspect.mjs');
  const { convertFile } = await import('../lib/convert.mjs');
  const { loadModel, tensorData } = await import('../lib/onnx-io.mjs');
  const r = rng(seed);
  const src = path.join(ROOT, source);
  let file, mutation;
  if (format === 'tfjs') {
    // model.json and its shards go to a fresh folder; the case mutates the JSON tree, its text, or a shard.
    const caseDir = path.join(dir, `c${seed}`);
    fs.mkdirSync(caseDir);
    const json = JSON.parse(fs.readFileSync(src, 'utf8'));
    for (const g of json.weightsManifest) for (const p of g.paths) fs.copyFileSync(path.join(path.dirname(src), p), path.join(caseDir, p));
    file = path.join(caseDir, 'model.json');
    const kind = r.int(10);
    if (kind < 6) { mutation = 'json-field'; fs.writeFileSync(file, JSON.stringify(mutateJson(json, r))); }
    else if (kind < 8) {
      const text = new TextEncoder().encode(JSON.stringify(json));
      mutation = kind === 6 ? 'text-bitflip' : 'text-truncate';
      fs.writeFileSync(file, kind === 6 ? bitflip(text, r) : truncate(text, r));
    } else {
      fs.writeFileSync(file, JSON.stringify(json));
      const shard = path.join(caseDir, json.weightsManifest[0].paths[0]);
      const bytes = fs.readFileSync(shard);
      mutation = kind === 8 ? 'shard-truncate' : 'shard-splice';
      fs.writeFileSync(shard, kind === 8 ? truncate(bytes, r) : splice(bytes, r));
    }
  } else {
    const bytes = fs.readFileSync(src);
    const muts = format === 'tflite'
      ? { bitflip, truncate, splice, 'inflate-u32': inflateU32, 'inflate-shape': inflateTfliteShape }
      : { bitflip, truncate, splice, 'inflate-length': inflateVarint };
    mutation = r.pick(Object.keys(muts));
    const out = await muts[mutation](bytes, r);
    file = path.join(dir, `c${seed}.${format}`);
    fs.writeFileSync(file, out);
  }
  const steps = [['inspect', () => inspectFile(file)]];
  if (format === 'onnx') steps.push(['initializers', () => { for (const t of loadModel(file).graph.initializer) tensorData(t); }]);
  else steps.push(['convert', () => convertFile(file, { inputShape: [1, 32, 32, 3] })]);
  const outcome = {};
  for (const [name, f] of steps) {
    try { f(); outcome[name] = 'ok'; } catch (err) {
      outcome[name] = { name: err?.constructor?.name ?? typeof err, message: String(err?.message ?? err).slice(0, 300) };
    }
  }
  return { mutation, outcome };
}

if (!isMainThread && workerData?.fuzzWorker) {
  const { dir } = workerData; // made and removed by the test, so a terminated worker leaves nothing
  parentPort.on('message', async (c) => {
    if (c === 'exit') process.exit(0);
    const t0 = performance.now();
    const res = await runCase({ ...c, dir });
    fs.rmSync(path.join(dir, `c${c.seed}`), { recursive: true, force: true });
    fs.rmSync(path.join(dir, `c${c.seed}.${c.format}`), { force: true });
    parentPort.postMessage({ ...c, ...res, ms: performance.now() - t0, rss: process.memoryUsage().rss });
  });
}

