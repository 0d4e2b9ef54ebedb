#!/usr/bin/env node
// cv-models <command> …: dispatches to tools/commands/<command>.mjs (each exports `async function main(argv)`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const commandsDir = path.join(here, 'commands');

function available() {
  try {
    return fs.readdirSync(commandsDir).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).sort();
  } catch { return []; }
}

function usage(out = process.stderr) {
  out.write(`Usage: cv-models <command> [options]\n\nCommands:\n${available().map((c) => `  ${c}`).join('\n')}\n\nRun "cv-models <command> --help" for a command's options.\n`);
}

export async function run(argv) {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { usage(process.stdout); return cmd ? 0 : 1; }
  if (!/^[a-z][a-z0-9-]*$/.test(cmd) || !available().includes(cmd)) {
    process.stderr.write(`cv-models: unknown command "${cmd}"\n\n`);
    usage();
    return 2;
  }
  const mod = await import(pathToFileURL(path.join(commandsDir, `${cmd}.mjs`)).href);
  const code = await mod.main(rest);
  return typeof code === 'number' ? code : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href || process.argv[1]?.endsWith('cv-models')) {
  run(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`cv-models ${process.argv[2]}: ${err.message}\n`);
    process.exitCode = 1;
  });
}
