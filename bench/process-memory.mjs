// Renderer memory (wasm included), read from /proc: measureUserAgentSpecificMemory() counts JS heaps and
// ArrayBuffers of the page and its workers but not WebAssembly.Memory (checked on this Chromium: a 100 MB
// wasm memory adds nothing), so the runtimes' wasm heaps are read from the renderer process instead: the
// largest resident set (VmRSS) among this Node process's renderer descendants, which is the bench page's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { round } from './stats.mjs';

function descendants(rootPid) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  const out = [];
  const walk = (p) => (kids.get(p) ?? []).forEach((k) => (out.push(k), walk(k)));
  walk(rootPid);
  return out;
}

export function rendererRssMB() {
  // Chromium is a child of this Node process; other people's browsers on the machine are not.
  const root = process.pid;
  if (!existsSync('/proc/self/status')) return null;
  let best = null;
  for (const pid of descendants(root)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (kb && (best === null || kb > best)) best = kb;
    } catch {}
  }
  return best === null ? null : round(best / 1024);
}
