// `npx cv-models` from the installed package: pack this repository, install the tarball into an empty project
// (no devDependencies, no optional peers), and run each command as a user would. Commands that need an
// optional peer (onnxruntime-node, onnxruntime-web) must say which package to install, not crash on an import.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir;
let models;

before(() => {
  assert.ok(existsSync(join(root, 'dist/inference-worker.js')), 'dist/ is not built: run npm run build');
  dir = mkdtempSync(join(tmpdir(), 'cv-models-install-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'ignore' });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  writeFileSync(join(dir, 'package.json'), '{"name":"cli-user","version":"1.0.0","private":true}\n');
  // The npm cache already holds these dependencies after the repository's own install; no install scripts run.
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tgz}`], { cwd: dir, stdio: 'ignore' });
  models = join(dir, 'node_modules/cv-elements/models');
}, { timeout: 300000 });

after(() => dir && rmSync(dir, { recursive: true, force: true }));

function cli(...args) {
  const r = spawnSync('npx', ['--no-install', 'cv-models', ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => !l.startsWith('npm warn')).join('\n') };
}

test('the installed project has no optional peer and no devDependency', () => {
  for (const name of ['onnxruntime-node', 'onnxruntime-web', 'playwright-core', 'rollup']) assert.ok(!existsSync(join(dir, 'node_modules', name)), `${name} was installed`);
});

test('cv-models --help lists the commands', () => {
  const r = cli('--help');
  assert.equal(r.code, 0, r.err);
  for (const c of ['inspect', 'convert', 'quantize', 'verify']) assert.match(r.out, new RegExp(`^  ${c}$`, 'm'));
});

test('inspect reads an ONNX model and a TFLite model', () => {
  const onnx = cli('inspect', join(models, 'selfie-segmentation.int8.onnx'));
  assert.equal(onnx.code, 0, onnx.err);
  assert.match(onnx.out, /input_1\s+float\[1,256,256,3\]/);
  assert.match(onnx.out, /QuantizeLinear/);
  const tflite = cli('inspect', join(models, 'face-detection.tflite'));
  assert.equal(tflite.code, 0, tflite.err);
  assert.match(tflite.out, /float32\[1,128,128,3\]/);
});

test('convert turns a TFLite model into ONNX', () => {
  const out = join(dir, 'face.onnx');
  const r = cli('convert', join(models, 'face-detection.tflite'), '-o', out);
  assert.equal(r.code, 0, r.err);
  assert.ok(statSync(out).size > 100000);
});

test('quantize --fp16 works without a runtime; --int8 names onnxruntime-node', () => {
  const fp16 = join(dir, 'half.onnx');
  const ok = cli('quantize', join(models, 'selfie-segmentation.fp32.onnx'), '--fp16', '-o', fp16);
  assert.equal(ok.code, 0, ok.err);
  assert.ok(statSync(fp16).size > 100000);
  const int8 = cli('quantize', join(models, 'selfie-segmentation.fp32.onnx'), '--int8', '-o', join(dir, 'q.onnx'));
  assert.equal(int8.code, 1);
  assert.match(int8.err, /needs onnxruntime-node.*npm install onnxruntime-node/s);
});

test('verify names the optional runtime it needs', () => {
  const args = [join(models, 'selfie-segmentation.int8.onnx'), '--reference', join(models, 'selfie-segmentation.fp32.onnx'), '--task', 'segment'];
  const node = cli('verify', ...args);
  assert.equal(node.code, 1);
  assert.match(node.err, /npm install onnxruntime-node/);
  const web = cli('verify', ...args, '--runtime', 'web');
  assert.equal(web.code, 1);
  assert.match(web.err, /npm install onnxruntime-web/);
});
